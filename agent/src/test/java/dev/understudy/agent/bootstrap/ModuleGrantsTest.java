package dev.understudy.agent.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ModuleGrantsTest {
    @Test
    void shouldDropPackagesAndModulesThatDoNotExist() {
        final ModuleGrants.Plan plan = ModuleGrants.plan(ModuleLayer.boot(),
            List.of("java.base/sun.nio.ch", "java.base/no.such.pkg", "no.such.module/x", "garbage"),
            List.of("java.base/java.lang", "java.base/sun.security.action.gone"));
        assertEquals(List.of("java.base/no.such.pkg (no package)", "no.such.module/x (no module)",
            "garbage (not module/package)", "java.base/sun.security.action.gone (no package)"), plan.skipped());
        assertEquals(1, plan.modules().size());
        final ModuleGrants.ModulePlan base = plan.modules().get(0);
        assertEquals("java.base", base.module().getName());
        assertEquals(List.of("sun.nio.ch"), base.exports());
        assertEquals(List.of("java.lang"), base.opens());
    }

    @Test
    void shouldPlanOnlyPackagesThatExistInThisJdk() {
        final ModuleGrants.Plan plan = ModuleGrants.plan(ModuleLayer.boot(), ModuleGrants.EXPORTS, ModuleGrants.OPENS);
        int planned = 0;
        for (final ModuleGrants.ModulePlan mp : plan.modules()) {
            for (final String p : mp.exports()) {
                assertTrue(mp.module().getPackages().contains(p), p);
            }
            for (final String p : mp.opens()) {
                assertTrue(mp.module().getPackages().contains(p), p);
            }
            planned += mp.exports().size() + mp.opens().size();
        }
        assertEquals(ModuleGrants.EXPORTS.size() + ModuleGrants.OPENS.size(), planned + plan.skipped().size());
        // The ones Agrona and Chronicle cannot live without exist on every supported JDK.
        assertTrue(plan.modules().stream().anyMatch(mp -> mp.exports().contains("jdk.internal.misc")));
        assertTrue(plan.modules().stream().anyMatch(mp -> mp.opens().contains("sun.nio.ch")));
    }

    @Test
    void shouldSummariseResult() {
        assertEquals("3 granted, skipped a/b (no module), FAILED m (x)",
            new ModuleGrants.Result(3, List.of("a/b (no module)"), List.of("m (x)")).summary());
        assertEquals("16 granted", new ModuleGrants.Result(16, List.of(), List.of()).summary());
    }
}
