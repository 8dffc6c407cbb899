package dev.understudy.interceptors;

import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Counts the invocations of one method in a class file, so that {@link Determinism} reports a JDK
 * class whose call sites moved instead of substituting nothing in it silently. Install-time only.
 */
final class CallSites {

    private CallSites() {
    }

    /**
     * @param classFile  the class's bytes
     * @param inMethod   only count inside methods of this name, or {@code null} for every method
     * @param owner      the invoked method's owner, internal name ({@code java/lang/System})
     * @param name       the invoked method's name
     * @param descriptor the invoked method's descriptor ({@code ()J})
     * @return how many invoke instructions call it
     */
    static int count(byte[] classFile, String inMethod, String owner, String name, String descriptor) {
        int[] count = new int[1];
        ClassReader reader = OpenedClassReader.of(classFile);
        reader.accept(new ClassVisitor(OpenedClassReader.ASM_API) {
            @Override
            public MethodVisitor visitMethod(int access, String method, String methodDescriptor, String signature,
                                             String[] exceptions) {
                if (inMethod != null && !inMethod.equals(method)) {
                    return null;
                }
                return new MethodVisitor(OpenedClassReader.ASM_API) {
                    @Override
                    public void visitMethodInsn(int opcode, String o, String n, String d, boolean isInterface) {
                        if (o.equals(owner) && n.equals(name) && d.equals(descriptor)) {
                            count[0]++;
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return count[0];
    }
}
