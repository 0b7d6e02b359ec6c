package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block in README.md and docs/*.md compiles against the project's classes, so the docs cannot
 * drift from the code. A block that declares a type ({@code class}, {@code record}, {@code interface},
 * {@code enum}) is compiled as a file; any other block is compiled as the body of a method
 * {@code void snippet(Hub hub) throws Exception}, so it may use a variable {@code hub} (unless it declares its
 * own). Every block gets the
 * imports in {@link #IMPORTS}; each is compiled in a package of its own, so blocks may reuse names.
 */
class DocsCodeBlocksTest {

    static final String IMPORTS = """
            import io.loomhub.netty.*;
            import io.loomhub.scheduler.*;
            import io.micrometer.core.instrument.MeterRegistry;
            import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
            import io.micrometer.prometheusmetrics.PrometheusConfig;
            import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
            import io.netty.bootstrap.*;
            import io.netty.buffer.*;
            import io.netty.channel.*;
            import io.netty.channel.epoll.*;
            import io.netty.channel.socket.nio.*;
            import java.io.*;
            import java.net.*;
            import java.nio.charset.StandardCharsets;
            import java.nio.file.*;
            import java.time.*;
            import java.util.*;
            import java.util.concurrent.*;
            import java.util.concurrent.atomic.*;
            import java.util.concurrent.locks.*;
            """;

    private static final Pattern BLOCK = Pattern.compile("(?m)^```java[ \\t]*\\n(.*?)^```[ \\t]*$", Pattern.DOTALL);
    private static final Pattern DECLARES_HUB = Pattern.compile("\\bHub\\s+hub\\s*=");
    private static final Pattern TYPE = Pattern.compile(
            "(?m)^(?:public\\s+|final\\s+|abstract\\s+|sealed\\s+)*(class|record|interface|enum)\\s+(\\w+)");

    /** One code block: where it is and what it says. */
    record Block(Path file, int line, String code) {
        String where() {
            return file.getFileName() + ":" + line;
        }
    }

    static Path projectRoot() {
        return Path.of(System.getProperty("loomhub.projectRoot", "..")).toAbsolutePath().normalize();
    }

    static List<Path> markdownFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(projectRoot().resolve("README.md"));
        try (Stream<Path> docs = Files.list(projectRoot().resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    static List<Block> javaBlocks(Path file) throws IOException {
        String text = Files.readString(file);
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            int line = (int) text.substring(0, m.start(1)).chars().filter(c -> c == '\n').count() + 1;
            blocks.add(new Block(file, line, m.group(1)));
        }
        return blocks;
    }

    @Test
    void everyJavaCodeBlockInTheDocsCompiles(@TempDir Path out) throws IOException {
        List<Block> blocks = new ArrayList<>();
        for (Path f : markdownFiles()) {
            blocks.addAll(javaBlocks(f));
        }
        assertFalse(blocks.isEmpty(), "no ```java blocks found under " + projectRoot());
        String errors = compile(blocks, out);
        assertTrue(errors.isEmpty(), "code blocks in the docs do not compile:\n" + errors);
    }

    @Test
    void theProgramsInTheReadmeAndGettingStartedRunToTheirEnd(@TempDir Path out) throws Exception {
        List<Block> programs = new ArrayList<>();
        for (String doc : new String[] {"README.md", "docs/getting-started.md"}) {
            for (Block b : javaBlocks(projectRoot().resolve(doc))) {
                if (b.code().contains("public static void main(String[] args)")) {
                    programs.add(b);
                }
            }
        }
        assertTrue(programs.size() >= 2, "expected the README's and getting-started's programs, found " + programs);
        String errors = compile(programs, out);
        assertTrue(errors.isEmpty(), errors);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()},
                DocsCodeBlocksTest.class.getClassLoader())) {
            for (int i = 0; i < programs.size(); i++) {
                Matcher type = TYPE.matcher(programs.get(i).code());
                assertTrue(type.find());
                Method main = loader.loadClass("docsnippet.b" + i + "." + type.group(2))
                        .getMethod("main", String[].class);
                String where = programs.get(i).where();
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> main.invoke(null, (Object) new String[0]),
                        where + " did not end within 60 s");
            }
        }
    }

    @Test
    void everyRelativeLinkInTheDocsPointsToAFileThatExists() throws IOException {
        Pattern link = Pattern.compile("\\]\\(([^)#\\s]+)(?:#[^)]*)?\\)");
        List<String> broken = new ArrayList<>();
        for (Path f : markdownFiles()) {
            Matcher m = link.matcher(Files.readString(f));
            while (m.find()) {
                String target = m.group(1);
                if (!target.contains("://") && !target.startsWith("mailto:")
                        && !Files.exists(f.getParent().resolve(target))) {
                    broken.add(f.getFileName() + " -> " + target);
                }
            }
        }
        assertTrue(broken.isEmpty(), "links to missing files: " + broken);
    }

    /**
     * Compiles blocks, block i in package {@code docsnippet.b<i>}, into {@code out}.
     *
     * @return the compile errors, each with the block's file and line; empty when all compiled
     */
    private static String compile(List<Block> blocks, Path out) throws IOException {
        List<JavaFileObject> sources = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            String pkg = "docsnippet.b" + i;
            Matcher type = TYPE.matcher(b.code());
            String typeName;
            String source;
            if (type.find()) {
                typeName = type.group(2);
                source = "package " + pkg + ";\n" + IMPORTS + b.code();
            } else {
                typeName = "Snippet";
                // A block that makes its own hub gets no parameter named hub.
                String parameter = DECLARES_HUB.matcher(b.code()).find() ? "" : "Hub hub";
                source = "package " + pkg + ";\n" + IMPORTS
                        + "class Snippet {\n  void snippet(" + parameter + ") throws Exception {\n" + b.code()
                        + "\n  }\n}\n";
            }
            sources.add(new Source(pkg.replace('.', '/') + "/" + typeName, source));
        }

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            javac.getTask(null, files, diagnostics,
                    List.of("-proc:none", "-classpath", classPath, "-d", out.toString()), null, sources).call();
        }
        StringBuilder report = new StringBuilder();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                Block b = blocks.get(sources.indexOf((JavaFileObject) d.getSource()));
                report.append(b.where()).append(" (generated line ").append(d.getLineNumber()).append("): ")
                        .append(d.getMessage(Locale.ROOT)).append('\n');
            }
        }
        return report.toString();
    }

    /** An in-memory source file. */
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String path, String code) {
            super(URI.create("string:///" + path + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
