package dev.understudy.agent.bootstrap;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The module grants Aeron/Agrona and Chronicle need, given with
 * {@link Instrumentation#redefineModule} to the isolated loader's unnamed module only — never
 * to {@code ALL-UNNAMED}, so the application gains nothing.
 *
 * <p>Without them Chronicle fails in {@code FileChannelImpl.map0} and Agrona 2 in
 * {@code jdk.internal.misc.Unsafe} (JVM.md). The lists mirror the parent pom's
 * {@code surefire.jvm.args}, which is what the same libraries need in tests.
 *
 * <p><b>Filtering is mandatory.</b> {@code redefineModule} with a package the module does not
 * contain kills the JVM in {@code premain} on JDK 25 (JVM.md); {@link #plan} drops every
 * grant whose module is absent (e.g. {@code jdk.compiler} in a JRE) or whose package does not
 * exist in that JDK, and {@link #apply} catches everything per module.
 */
public final class ModuleGrants {
    /** {@code module/package} pairs exported to the isolated loader. */
    public static final List<String> EXPORTS = List.of(
        "java.base/jdk.internal.misc",
        "java.base/jdk.internal.ref",
        "java.base/sun.nio.ch",
        "jdk.unsupported/sun.misc",
        "jdk.compiler/com.sun.tools.javac.file");

    /** {@code module/package} pairs opened (deep reflection) to the isolated loader. */
    public static final List<String> OPENS = List.of(
        "java.base/java.lang",
        "java.base/java.lang.reflect",
        "java.base/java.io",
        "java.base/java.net",
        "java.base/java.nio",
        "java.base/java.util",
        "java.base/java.util.zip",
        "java.base/jdk.internal.misc",
        "java.base/jdk.internal.ref",
        "java.base/sun.nio.ch",
        "jdk.unsupported/sun.misc",
        "jdk.compiler/com.sun.tools.javac");

    private ModuleGrants() {
    }

    /**
     * What {@link #plan} decided for one module.
     *
     * @param module  the module to redefine.
     * @param exports packages to export.
     * @param opens   packages to open.
     */
    public record ModulePlan(Module module, List<String> exports, List<String> opens) {
    }

    /**
     * The filtered grants.
     *
     * @param modules one entry per module with at least one grant.
     * @param skipped {@code module/package (reason)} for every grant left out.
     */
    public record Plan(List<ModulePlan> modules, List<String> skipped) {
    }

    /**
     * Outcome of {@link #apply}.
     *
     * @param granted  number of exports and opens applied.
     * @param skipped  grants left out by the filter, with reasons.
     * @param failures modules whose redefinition failed, with the error.
     */
    public record Result(int granted, List<String> skipped, List<String> failures) {
        /**
         * @return one line for the start-up block.
         */
        public String summary() {
            final StringBuilder sb = new StringBuilder().append(granted).append(" granted");
            if (!skipped.isEmpty()) {
                sb.append(", skipped ").append(String.join(", ", skipped));
            }
            if (!failures.isEmpty()) {
                sb.append(", FAILED ").append(String.join(", ", failures));
            }
            return sb.toString();
        }
    }

    /**
     * Filters the wanted grants against the modules and packages that exist in {@code layer}.
     * Pure: touches no module.
     *
     * @param layer   normally {@link ModuleLayer#boot()}.
     * @param exports {@code module/package} pairs to export.
     * @param opens   {@code module/package} pairs to open.
     * @return the grants that can be applied, grouped by module, and the ones skipped.
     */
    public static Plan plan(final ModuleLayer layer, final List<String> exports, final List<String> opens) {
        final Map<Module, List<String>> ex = new LinkedHashMap<>();
        final Map<Module, List<String>> op = new LinkedHashMap<>();
        final List<String> skipped = new ArrayList<>();
        collect(layer, exports, ex, op, skipped);
        collect(layer, opens, op, ex, skipped);
        final List<ModulePlan> modules = new ArrayList<>();
        final Map<Module, Boolean> seen = new LinkedHashMap<>();
        ex.keySet().forEach(m -> seen.put(m, Boolean.TRUE));
        op.keySet().forEach(m -> seen.put(m, Boolean.TRUE));
        for (final Module m : seen.keySet()) {
            modules.add(new ModulePlan(m,
                List.copyOf(ex.getOrDefault(m, List.of())),
                List.copyOf(op.getOrDefault(m, List.of()))));
        }
        return new Plan(List.copyOf(modules), List.copyOf(skipped));
    }

    private static void collect(
        final ModuleLayer layer,
        final List<String> wanted,
        final Map<Module, List<String>> into,
        final Map<Module, List<String>> other,
        final List<String> skipped) {
        for (final String pair : wanted) {
            final int slash = pair.indexOf('/');
            if (slash <= 0 || slash == pair.length() - 1) {
                skipped.add(pair + " (not module/package)");
                continue;
            }
            final String moduleName = pair.substring(0, slash);
            final String pkg = pair.substring(slash + 1);
            final Optional<Module> module = layer.findModule(moduleName);
            if (module.isEmpty()) {
                skipped.add(pair + " (no module)");
            } else if (!module.get().getPackages().contains(pkg)) {
                skipped.add(pair + " (no package)");
            } else {
                into.computeIfAbsent(module.get(), k -> new ArrayList<>()).add(pkg);
                other.computeIfAbsent(module.get(), k -> new ArrayList<>());
            }
        }
    }

    /**
     * Grants {@link #EXPORTS} and {@link #OPENS}, filtered by {@link #plan}, to {@code target}.
     * Never throws: a module whose redefinition fails is reported in the result.
     *
     * @param inst   the instrumentation handle.
     * @param target the isolated loader's unnamed module.
     * @return what was granted, skipped and failed.
     */
    public static Result apply(final Instrumentation inst, final Module target) {
        final List<String> skipped = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        int granted = 0;
        try {
            final Plan plan = plan(ModuleLayer.boot(), EXPORTS, OPENS);
            skipped.addAll(plan.skipped());
            for (final ModulePlan mp : plan.modules()) {
                try {
                    if (!inst.isModifiableModule(mp.module())) {
                        failures.add(mp.module().getName() + " (not modifiable)");
                        continue;
                    }
                    final Map<String, Set<Module>> exports = new LinkedHashMap<>();
                    mp.exports().forEach(p -> exports.put(p, Set.of(target)));
                    final Map<String, Set<Module>> opens = new LinkedHashMap<>();
                    mp.opens().forEach(p -> opens.put(p, Set.of(target)));
                    inst.redefineModule(mp.module(), Set.of(), exports, opens, Set.of(), Collections.emptyMap());
                    granted += exports.size() + opens.size();
                } catch (final Throwable t) {
                    failures.add(mp.module().getName() + " (" + t + ")");
                }
            }
        } catch (final Throwable t) {
            failures.add("plan (" + t + ")");
        }
        return new Result(granted, List.copyOf(skipped), List.copyOf(failures));
    }
}
