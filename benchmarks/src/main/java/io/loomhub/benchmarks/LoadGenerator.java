package io.loomhub.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * The load generator: one Netty epoll event loop on one thread drives every connection, so it needs no thread per
 * connection and stays cheap at 10,000 connections. Closed loop: each connection sends a {@value #REQUEST_BYTES}-byte
 * request, waits for all of it to come back, records the round trip and sends the next one.
 *
 * <p>Not thread-safe: one run at a time. Connection state is touched only on the event loop.
 */
final class LoadGenerator implements AutoCloseable {

    static final int REQUEST_BYTES = 64;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoop loop = group.next();
    private final ByteBuf request;

    LoadGenerator() {
        byte[] bytes = new byte[REQUEST_BYTES];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        request = Unpooled.unreleasableBuffer(Unpooled.directBuffer(REQUEST_BYTES).writeBytes(bytes));
    }

    /**
     * What one measured run saw. Latencies in nanoseconds. {@code serverCpuSeconds} is the server's user + system
     * CPU time over the window, {@code serverUserCpuSeconds} the user part of it (the kernel's part is the rest).
     */
    record Result(int connections, double seconds, long requests, Histogram latency, double serverCpuSeconds,
                  double serverUserCpuSeconds, long serverContextSwitches, Map<String, Double> serverThreadCpuSeconds,
                  double loadGeneratorCpuSeconds, Map<String, Long> serverSyscalls, int errors) {
        double throughput() {
            return requests / seconds;
        }

        /** The load generator's CPU use over the window (1.0 = one core busy): near 1, it is the bottleneck. */
        double loadGeneratorUtilisation() {
            return loadGeneratorCpuSeconds / seconds;
        }

        /** System calls of one kind per request (perf's count over the window), or NaN when not counted. */
        double syscallsPerRequest(String call) {
            Long n = serverSyscalls.get(call);
            return n == null || requests == 0 ? Double.NaN : n / (double) requests;
        }

        /** Context switches of all the server's threads per request: thread hops show up here. */
        double contextSwitchesPerRequest() {
            return requests == 0 ? Double.NaN : serverContextSwitches / (double) requests;
        }

        /** Server CPU time (user + system) per request, in microseconds. */
        double cpuMicrosPerRequest() {
            return microsPerRequest(serverCpuSeconds);
        }

        /** Server CPU time in user space (its own code: JVM, runtime, application) per request, in microseconds. */
        double userMicrosPerRequest() {
            return microsPerRequest(serverUserCpuSeconds);
        }

        /** Server CPU time in the kernel (system calls, TCP) per request, in microseconds. */
        double kernelMicrosPerRequest() {
            return microsPerRequest(serverCpuSeconds - serverUserCpuSeconds);
        }

        private double microsPerRequest(double cpuSeconds) {
            return requests == 0 ? Double.NaN : cpuSeconds * 1e6 / requests;
        }
    }

    /** Where a run is; only the event loop changes it after {@link #run} starts the load. */
    private final class Run {
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
        boolean sending;
        boolean measuring;
        long requests;
        int errors;
    }

    /** One connection's closed loop. */
    final class Conn extends ChannelInboundHandlerAdapter {
        private final Run run;
        private Channel channel;
        private long sentAt;
        private int pending;

        Conn(Run run) {
            this.run = run;
        }

        void send() {
            pending = REQUEST_BYTES;
            sentAt = System.nanoTime();
            channel.writeAndFlush(request.duplicate(), channel.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            pending -= buf.readableBytes();
            buf.release();
            if (pending > 0) {
                return;
            }
            if (run.measuring) {
                run.latency.recordValue(Math.min(System.nanoTime() - sentAt, run.latency.getHighestTrackableValue()));
                run.requests++;
            }
            if (run.sending) {
                send();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            run.errors++;
            ctx.close();
        }
    }

    /**
     * Opens {@code connections} connections to {@code server}, runs the closed loop for {@code warmup}, then
     * measures for {@code measure}, then resets every connection. Blocks the calling thread for the run.
     *
     * @param serverPid the server process, whose CPU time is read from /proc over the measured window
     * @throws Exception if connections cannot be opened (after retries), or the run stalls
     */
    Result run(InetSocketAddress server, long serverPid, int connections, double warmupSeconds,
               double measureSeconds) throws Exception {
        Run run = new Run();
        List<Conn> conns = connect(server, connections, run, null);
        try {
            CompletableFuture<Result> done = new CompletableFuture<>();
            long[] window = new long[2];
            ProcStats.CpuTimes[] cpu = new ProcStats.CpuTimes[2];
            long[] switches = new long[2];
            double[] ownCpu = new double[2];
            long self = ProcessHandle.current().pid();
            List<java.util.Map<String, Double>> threadCpu = new ArrayList<>(List.of(java.util.Map.of(),
                    java.util.Map.of()));
            loop.execute(() -> {
                run.sending = true;
                for (Conn c : conns) {
                    c.send();
                }
            });
            // perf counts the server's system calls over the measured window (started from a helper thread:
            // starting a process would stall the event loop).
            CompletableFuture<SyscallCounter> syscalls = CompletableFuture.supplyAsync(
                    () -> SyscallCounter.start(serverPid, measureSeconds),
                    CompletableFuture.delayedExecutor((long) (warmupSeconds * 1e9), TimeUnit.NANOSECONDS));
            loop.schedule(() -> {
                run.measuring = true;
                run.requests = 0;
                window[0] = System.nanoTime();
                cpu[0] = ProcStats.cpuTimes(serverPid);
                switches[0] = ProcStats.contextSwitches(serverPid);
                threadCpu.set(0, ProcStats.threadCpuSeconds(serverPid));
                ownCpu[0] = ProcStats.cpuSeconds(self);
            }, (long) (warmupSeconds * 1e9), TimeUnit.NANOSECONDS);
            loop.schedule(() -> {
                run.measuring = false;
                run.sending = false;
                window[1] = System.nanoTime();
                cpu[1] = ProcStats.cpuTimes(serverPid);
                switches[1] = ProcStats.contextSwitches(serverPid);
                ownCpu[1] = ProcStats.cpuSeconds(self);
                java.util.Map<String, Double> perThread = new java.util.TreeMap<>();
                ProcStats.threadCpuSeconds(serverPid).forEach((name, end) -> {
                    double used = end - threadCpu.get(0).getOrDefault(name, 0.0);
                    if (used > 0) {
                        perThread.put(name, used);
                    }
                });
                done.complete(new Result(connections, (window[1] - window[0]) / 1e9, run.requests, run.latency,
                        cpu[1].total() - cpu[0].total(), cpu[1].user() - cpu[0].user(), switches[1] - switches[0],
                        perThread, ownCpu[1] - ownCpu[0], Map.of(), run.errors));
            }, (long) ((warmupSeconds + measureSeconds) * 1e9), TimeUnit.NANOSECONDS);
            Result r = done.get((long) (warmupSeconds + measureSeconds) + 30, TimeUnit.SECONDS);
            SyscallCounter counter = syscalls.get(30, TimeUnit.SECONDS);
            Map<String, Long> counts = counter == null ? Map.of() : counter.counts();
            return new Result(r.connections(), r.seconds(), r.requests(), r.latency(), r.serverCpuSeconds(),
                    r.serverUserCpuSeconds(), r.serverContextSwitches(), r.serverThreadCpuSeconds(),
                    r.loadGeneratorCpuSeconds(), counts, r.errors());
        } finally {
            closeAll(conns);
        }
    }

    /**
     * Opens idle connections (for the scale test) and returns them; close them with {@link #closeAll}.
     * After the first {@code perSourceAddress} connections, source addresses move on to 127.0.0.2, .3, ..., so
     * many connections do not exhaust one address's ephemeral ports.
     */
    List<Conn> openIdle(InetSocketAddress server, int connections, int perSourceAddress) throws Exception {
        return connect(server, connections, new Run(), perSourceAddress);
    }

    private List<Conn> connect(InetSocketAddress server, int connections, Run run, Integer perSourceAddress)
            throws Exception {
        List<Conn> conns = new ArrayList<>(connections);
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_LINGER, 0) // reset on close: no TIME_WAIT pile-up across runs
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        Semaphore inFlight = new Semaphore(256); // a few hundred SYNs at a time: the server's backlog holds them
        List<ChannelFuture> futures = new ArrayList<>(connections);
        for (int i = 0; i < connections; i++) {
            Conn conn = new Conn(run);
            conns.add(conn);
            Bootstrap cb = b.clone().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    conn.channel = ch;
                    ch.pipeline().addLast(conn);
                }
            });
            if (!inFlight.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new TimeoutException("connecting stalled after " + i + " of " + connections + " connections");
            }
            // A second source address only past the first address's share of ephemeral ports: binding a local
            // address before connecting makes the kernel search ports one by one, which is slow with many sockets.
            ChannelFuture f = perSourceAddress == null || i < perSourceAddress
                    ? cb.connect(server)
                    : cb.connect(server, new InetSocketAddress("127.0.0." + (1 + i / perSourceAddress), 0));
            f.addListener(x -> inFlight.release());
            futures.add(f);
        }
        List<Conn> failed = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            ChannelFuture f = futures.get(i);
            if (!f.awaitUninterruptibly(30, TimeUnit.SECONDS) || !f.isSuccess()) {
                failed.add(conns.get(i));
            }
        }
        if (!failed.isEmpty()) {
            closeAll(conns);
            throw new IllegalStateException(failed.size() + " of " + connections + " connections to " + server
                    + " failed; first cause: " + futures.stream().filter(f -> f.cause() != null)
                            .map(f -> String.valueOf(f.cause())).findFirst().orElse("timeout"));
        }
        return conns;
    }

    static void closeAll(List<Conn> conns) {
        List<ChannelFuture> closing = new ArrayList<>(conns.size());
        for (Conn c : conns) {
            if (c.channel != null) {
                closing.add(c.channel.close());
            }
        }
        for (ChannelFuture f : closing) {
            f.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
