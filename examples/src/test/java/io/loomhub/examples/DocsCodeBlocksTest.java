package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code void snippet(Hub hub) throws Exception}, so it may use a variable {@code hub}. Every block gets the
 * imports in {@link #IMPORTS}; each is compiled in a package of its own, so blocks may reuse names.
 */
class DocsCodeBlocksTest {

    static final String IMPORTS = """
            import io.loomhub.netty.*;
            import io.loomhub.scheduler.*;
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

        List<JavaFileObject> sources = new ArrayList<>();
        List<Block> sourceBlocks = new ArrayList<>();
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
                source = "package " + pkg + ";\n" + IMPORTS
                        + "class Snippet {\n  void snippet(Hub hub) throws Exception {\n" + b.code() + "\n  }\n}\n";
            }
            sources.add(new Source(pkg.replace('.', '/') + "/" + typeName, source));
            sourceBlocks.add(b);
        }

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            boolean ok = javac.getTask(null, files, diagnostics,
                    List.of("-proc:none", "-classpath", classPath, "-d", out.toString()), null, sources).call();
            StringBuilder report = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    Block b = sourceBlocks.get(sources.indexOf((JavaFileObject) d.getSource()));
                    report.append(b.where()).append(" (generated line ").append(d.getLineNumber()).append("): ")
                            .append(d.getMessage(Locale.ROOT)).append('\n');
                }
            }
            assertTrue(ok, "code blocks in the docs do not compile:\n" + report);
        }
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
