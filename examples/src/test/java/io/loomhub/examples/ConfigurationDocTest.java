package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the options the code has. */
class ConfigurationDocTest {

    /** A system property read, {@code Boolean.getBoolean("loomhub.x")} and the like (meter names are not). */
    private static final Pattern PROPERTY_IN_CODE = Pattern.compile(
            "(?:getProperty|getBoolean|getInteger|getLong)\\(\\s*\"(loomhub\\.[A-Za-z0-9_.]+)\"");
    private static final Pattern PROPERTY_IN_DOC = Pattern.compile("`(loomhub\\.[A-Za-z0-9_.]+)`");
    private static final Pattern OPTION_IN_DOC = Pattern.compile("(?m)^\\| `(\\w+)\\(");

    private static String configurationDoc() throws IOException {
        return Files.readString(DocsCodeBlocksTest.projectRoot().resolve("docs/configuration.md"));
    }

    @Test
    void everyBuilderOptionIsDocumentedAndEveryDocumentedOptionExists() throws IOException {
        Set<String> inCode = Arrays.stream(Hub.Builder.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()))
                .map(Method::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> inDoc = new TreeSet<>();
        Matcher m = OPTION_IN_DOC.matcher(configurationDoc());
        while (m.find()) {
            inDoc.add(m.group(1));
        }
        assertEquals(inCode, inDoc, "Hub.Builder's public methods vs the options table of docs/configuration.md");
    }

    @Test
    void everySystemPropertyTheCodeReadsIsDocumentedAndNoOther() throws IOException {
        Set<String> inCode = new TreeSet<>();
        for (String module : new String[] {"scheduler", "netty-reactor"}) {
            Path src = DocsCodeBlocksTest.projectRoot().resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(src)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = PROPERTY_IN_CODE.matcher(Files.readString(f));
                    while (m.find()) {
                        inCode.add(m.group(1));
                    }
                }
            }
        }
        assertFalse(inCode.isEmpty(), "found no loomhub.* property in the sources: wrong project root?");
        Set<String> inDoc = new TreeSet<>();
        Matcher m = PROPERTY_IN_DOC.matcher(configurationDoc());
        while (m.find()) {
            inDoc.add(m.group(1));
        }
        assertEquals(inCode, inDoc, "loomhub.* properties in the sources vs docs/configuration.md");
        assertTrue(inDoc.contains("loomhub.jdkTimers"));
    }
}
