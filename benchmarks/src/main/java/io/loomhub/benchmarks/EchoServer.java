package io.loomhub.benchmarks;

import io.loomhub.scheduler.Hub;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One echo server of the load harness, run in its own process (pinned to a CPU by the harness). It binds
 * 127.0.0.1 on an ephemeral port, prints {@code READY <port>} on standard output, then answers commands read
 * from standard input, one a line: {@code heap} prints {@code HEAP <bytes used after a full GC>}, {@code conns}
 * prints {@code CONNS <open connections>}, {@code jit} prints {@code JIT <milliseconds the JIT has compiled so far>},
 * {@code histogram} prints the live heap's class histogram (as
 * {@code jcmd PID GC.class_histogram} would) and {@code END}; end of input ends the process.
 *
 * <p>Kinds (the blocking ones all run the same {@link #echo} loop, one virtual thread per connection):
 * <ul>
 *   <li>{@code netty}: raw asynchronous Netty, one epoll event loop for accept and I/O (the reference);</li>
 *   <li>{@code hub-jdk}: a loomhub hub, {@code java.net.Socket} (parks through the JDK's poller);</li>
 *   <li>{@code hub-jdk-patched} (in {@link EchoServerExtensions}): {@code hub-jdk} with {@code java.net} patched by
 *       {@code JavaNetSockets.patch()}, so the same sockets run on the hub's Netty loop;</li>
 *   <li>{@code jdk}: the JDK's default scheduler, {@code java.net.Socket} (run it with parallelism 1).</li>
 * </ul>
 */
public final class EchoServer {

    static final int BACKLOG = 4096;
    /** Each blocking-style server (Java, Go, gevent) reads into a buffer of this size, held per connection. */
    static final int BUFFER_BYTES = 1024;
    private static final AtomicInteger OPEN = new AtomicInteger();

    private EchoServer() { }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: EchoServer KIND [PORT]   (KIND: " + String.join(", ", kinds()) + ")");
            System.exit(2);
        }
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int bound = switch (args[0]) {
            case "netty" -> startNetty(port);
            case "hub-jdk" -> startBlocking(port, Hub.builder().name("echo").build().ofVirtual().factory());
            case "jdk" -> startBlocking(port, Thread.ofVirtual().factory());
            default -> {
                int p = EchoServerExtensions.start(args[0], port);
                if (p < 0) {
                    System.err.println("unknown echo server kind '" + args[0] + "'");
                    System.exit(2);
                }
                yield p;
            }
        };
        System.out.println("READY " + bound);
        System.out.flush();
        serveCommands();
        System.exit(0);
    }

    /** The kinds this class can start. */
    static java.util.List<String> kinds() {
        java.util.List<String> k = new java.util.ArrayList<>(java.util.List.of("netty", "hub-jdk", "jdk"));
        k.addAll(EchoServerExtensions.kinds());
        return k;
    }

    private static void serveCommands() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.trim()) {
                case "heap" -> {
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                    }
                    System.out.println("HEAP " + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                }
                case "conns" -> System.out.println("CONNS " + OPEN.get());
                case "jit" -> System.out.println("JIT " + ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
                case "histogram" -> {
                    System.out.println(classHistogram());
                    System.out.println("END");
                }
                default -> System.out.println("ERROR unknown command " + line);
            }
            System.out.flush();
        }
    }

    /** The live heap by class, from the JVM's own diagnostic command (a full GC first, like jcmd's). */
    private static String classHistogram() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (javax.management.JMException e) {
            return "unavailable: " + e;
        }
    }

    // ---- raw Netty: the reference ----

    private static int startNetty(int port) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ChannelHandler echo = new NettyEcho();
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(echo);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Writes back what it reads; flushes once per read batch. */
    @ChannelHandler.Sharable
    static final class NettyEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            OPEN.incrementAndGet();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            OPEN.decrementAndGet();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---- blocking style: one virtual thread per connection ----

    /**
     * Opens the server socket and accepts on a virtual thread of {@code threads}, and serves each connection on a
     * new one. The server socket is created on that thread, as a program running on a hub would: with
     * {@code java.net} patched ({@code hub-jdk-patched}) that is what makes it, and what it accepts, hub sockets.
     */
    static int startBlocking(int port, ThreadFactory threads) throws IOException {
        java.util.concurrent.CompletableFuture<ServerSocket> opened = new java.util.concurrent.CompletableFuture<>();
        threads.newThread(() -> {
            ServerSocket server;
            try {
                server = new ServerSocket(port, BACKLOG, InetAddress.getLoopbackAddress());
            } catch (IOException | RuntimeException e) {
                opened.completeExceptionally(e);
                return;
            }
            opened.complete(server);
            acceptLoop(server, threads);
        }).start();
        try {
            return opened.join().getLocalPort();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    /** What an accept loop does with each socket on the accepting thread, before a new thread serves it. */
    @FunctionalInterface
    interface Accepted {
        void prepare(Socket s) throws IOException;
    }

    /** Runs the accept loop for an already bound server socket (the hub-socket kind passes its own). */
    static int startBlocking(ServerSocket server, ThreadFactory threads, Accepted accepted) {
        threads.newThread(() -> acceptLoop(server, threads, accepted)).start();
        return server.getLocalPort();
    }

    private static void acceptLoop(ServerSocket server, ThreadFactory threads) {
        acceptLoop(server, threads, s -> { });
    }

    /** Accepts, lets {@code accepted} prepare each socket on the accepting thread, and serves it on a new thread. */
    private static void acceptLoop(ServerSocket server, ThreadFactory threads, Accepted accepted) {
        while (true) {
            Socket s;
            try {
                s = server.accept();
                s.setTcpNoDelay(true);
                accepted.prepare(s);
            } catch (IOException e) {
                System.err.println("accept failed: " + e);
                return;
            }
            threads.newThread(() -> echo(s)).start();
        }
    }

    /** The blocking echo loop every blocking-style server runs, one per connection. */
    static void echo(Socket socket) {
        OPEN.incrementAndGet();
        byte[] buffer = new byte[BUFFER_BYTES];
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // The load generator resets its connections when a run ends.
        } finally {
            OPEN.decrementAndGet();
        }
    }
}
