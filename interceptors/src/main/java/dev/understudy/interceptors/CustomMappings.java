package dev.understudy.interceptors;

import java.io.FileDescriptor;
import java.lang.reflect.Method;

import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.annotation.AnnotationDescription;
import net.bytebuddy.description.field.FieldDescription;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.method.ParameterDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.scaffold.FieldLocator;
import net.bytebuddy.implementation.bytecode.StackManipulation;
import net.bytebuddy.implementation.bytecode.assign.TypeCasting;
import net.bytebuddy.implementation.bytecode.member.FieldAccess;
import net.bytebuddy.implementation.bytecode.member.MethodInvocation;
import net.bytebuddy.implementation.bytecode.member.MethodVariableAccess;

/** The ByteBuddy offset mappings behind {@link FdOf} and {@link FieldOf}. Install-time only. */
final class CustomMappings {

    private CustomMappings() {
    }

    /** The advice factory with both mappings bound. */
    static Advice.WithCustomMapping advice() {
        MethodDescription.InDefinedShape fdVal = fdValMethod();
        return Advice.withCustomMapping()
                .bind(new FdOfFactory(fdVal))
                .bind(new FieldOfFactory());
    }

    /** {@code sun.nio.ch.IOUtil.fdVal(FileDescriptor)}: looked up, never invoked reflectively. */
    private static MethodDescription.InDefinedShape fdValMethod() {
        try {
            Method m = Class.forName("sun.nio.ch.IOUtil", false, null)
                    .getDeclaredMethod("fdVal", FileDescriptor.class);
            return new MethodDescription.ForLoadedMethod(m);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("sun.nio.ch.IOUtil.fdVal(FileDescriptor) not found on JDK "
                    + Runtime.version() + ": the interceptors cannot name socket fds", e);
        }
    }

    private static StackManipulation loadArgument(MethodDescription method, Advice.ArgumentHandler handler,
                                                  int index) {
        if (index >= method.getParameters().size()) {
            throw new IllegalStateException("argument " + index + " does not exist on " + method);
        }
        ParameterDescription p = method.getParameters().get(index);
        return MethodVariableAccess.of(p.getType()).loadFrom(handler.argument(p.getOffset()));
    }

    private static FieldDescription field(TypeDescription owner, String name) {
        FieldLocator.Resolution resolution = new FieldLocator.ForClassHierarchy(owner).locate(name);
        if (!resolution.isResolved()) {
            throw new IllegalStateException("field " + name + " not found in " + owner + " or its superclasses");
        }
        return resolution.getField();
    }

    /** Loads the object a mapping reads a field of, or the descriptor itself when no field is named. */
    private static StackManipulation source(TypeDescription type, MethodDescription method,
                                            Advice.ArgumentHandler handler, int argument, String fieldName) {
        if (fieldName.isEmpty()) {
            return loadArgument(method, handler, argument);
        }
        StackManipulation owner = argument < 0
                ? MethodVariableAccess.loadThis()
                : new StackManipulation.Compound(loadArgument(method, handler, argument), TypeCasting.to(type));
        return new StackManipulation.Compound(owner, FieldAccess.forField(field(type, fieldName)).read());
    }

    private static final class FdOfFactory implements Advice.OffsetMapping.Factory<FdOf> {
        private final MethodDescription.InDefinedShape fdVal;

        FdOfFactory(MethodDescription.InDefinedShape fdVal) {
            this.fdVal = fdVal;
        }

        @Override
        public Class<FdOf> getAnnotationType() {
            return FdOf.class;
        }

        @Override
        public Advice.OffsetMapping make(ParameterDescription.InDefinedShape target,
                                         AnnotationDescription.Loadable<FdOf> annotation,
                                         AdviceType adviceType) {
            if (!target.getType().represents(int.class)) {
                throw new IllegalStateException("@FdOf must annotate an int parameter: " + target);
            }
            FdOf fdOf = annotation.load();
            int argument = fdOf.argument();
            String fieldName = fdOf.field();
            if (argument < 0 && fieldName.isEmpty()) {
                throw new IllegalStateException("@FdOf needs an argument, a field or both: " + target);
            }
            return (type, method, assigner, handler, sort) -> new Advice.OffsetMapping.Target.ForStackManipulation(
                    new StackManipulation.Compound(source(type, method, handler, argument, fieldName),
                            MethodInvocation.invoke(fdVal)));
        }
    }

    private static final class FieldOfFactory implements Advice.OffsetMapping.Factory<FieldOf> {
        @Override
        public Class<FieldOf> getAnnotationType() {
            return FieldOf.class;
        }

        @Override
        public Advice.OffsetMapping make(ParameterDescription.InDefinedShape target,
                                         AnnotationDescription.Loadable<FieldOf> annotation,
                                         AdviceType adviceType) {
            FieldOf fieldOf = annotation.load();
            int argument = fieldOf.argument();
            String fieldName = fieldOf.field();
            return (type, method, assigner, handler, sort) -> {
                FieldDescription f = field(type, fieldName);
                if (!f.getType().asErasure().equals(target.getType().asErasure())) {
                    throw new IllegalStateException("@FieldOf(" + fieldName + ") is a " + f.getType()
                            + " in " + type + ", the advice parameter a " + target.getType());
                }
                return new Advice.OffsetMapping.Target.ForStackManipulation(
                        source(type, method, handler, argument, fieldName));
            };
        }
    }
}
