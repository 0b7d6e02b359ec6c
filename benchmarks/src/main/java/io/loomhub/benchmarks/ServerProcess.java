package io.loomhub.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One echo server process: started pinned to a CPU, ready once it printed {@code READY <port>}, ended with
 * {@link #close()}. Standard error goes to a log file. Not thread-safe.
 */
final class ServerProcess implements AutoCloseable {

    /** How to start one kind of server, or why it cannot run on this machine. */
    record Spec(String name, String description, List<String> command, Map<String, String> env, boolean jvm,
                String unavailable) {
        boolean available() {
            return unavailable == null;
        }
    }

    private final Spec spec;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final InetSocketAddress address;

    private ServerProcess(Spec spec, Process process, BufferedReader out, Writer in, int port) {
        this.spec = spec;
        this.process = process;
        this.out = out;
        this.in = in;
        this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /**
     * Starts the server on {@code cpu} (with taskset when present) and waits up to 60 s for its READY line.
     *
     * @throws IOException if it cannot start or does not become ready
     */
    static ServerProcess start(Spec spec, Integer cpu, Path logDir) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (cpu != null) {
            cmd.addAll(List.of("taskset", "-c", cpu.toString()));
        }
        cmd.addAll(spec.command());
        Files.createDirectories(logDir);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(logDir.resolve(spec.name() + ".log").toFile()));
        pb.environment().putAll(spec.env());
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("READY ")) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (line == null) {
            p.destroyForcibly();
            throw new IOException("server '" + spec.name() + "' did not print READY (see "
                    + logDir.resolve(spec.name() + ".log") + "); command: " + cmd);
        }
        return new ServerProcess(spec, p, out, in, Integer.parseInt(line.substring(6).trim()));
    }

    Spec spec() {
        return spec;
    }

    /** Whether the process is still running. */
    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    InetSocketAddress address() {
        return address;
    }

    /** Heap used after a full GC, in bytes, for JVM servers; -1 for the others. */
    long heapAfterGc() throws IOException {
        return spec.jvm() ? ask("heap", "HEAP") : -1;
    }

    /** Sends a command to a JVM server and parses its one-line answer, {@code ANSWER <number>}. */
    private long ask(String command, String answer) throws IOException {
        in.write(command + "\n");
        in.flush();
        String line = out.readLine();
        if (line == null || !line.startsWith(answer + " ")) {
            throw new IOException("server '" + spec.name() + "' answered '" + line + "' to '" + command + "'");
        }
        return Long.parseLong(line.substring(answer.length() + 1).trim());
    }

    /** Live heap bytes by class name after a full GC, for JVM servers; empty for the others. */
    java.util.Map<String, Long> classHistogram() throws IOException {
        java.util.Map<String, Long> bytes = new java.util.HashMap<>();
        if (!spec.jvm()) {
            return bytes;
        }
        in.write("histogram\n");
        in.flush();
        String line;
        while ((line = out.readLine()) != null && !line.equals("END")) {
            // " 1:  5005  9192344  jdk.internal.vm.StackChunk (java.base@25)"
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":")) {
                try {
                    bytes.merge(f[3], Long.parseLong(f[2]), Long::sum);
                } catch (NumberFormatException e) {
                    // A header or total line.
                }
            }
        }
        return bytes;
    }

    /**
     * Milliseconds the server's JIT has spent compiling so far (it grows while the JIT still compiles), or -1 for a
     * server that is not a JVM.
     */
    long jitMillis() throws IOException {
        return spec.jvm() ? ask("jit", "JIT") : -1;
    }

    /**
     * Connections the server holds open: its own count for JVM servers, else its open descriptors minus
     * {@code baselineDescriptors}.
     */
    int openConnections(int baselineDescriptors) throws IOException {
        if (!spec.jvm()) {
            return ProcStats.openDescriptors(pid()) - baselineDescriptors;
        }
        return (int) ask("conns", "CONNS");
    }

    @Override
    public void close() throws InterruptedException {
        try {
            in.close(); // JVM servers end at the end of their input
        } catch (IOException e) {
            // Already gone.
        }
        if (!process.waitFor(3, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
