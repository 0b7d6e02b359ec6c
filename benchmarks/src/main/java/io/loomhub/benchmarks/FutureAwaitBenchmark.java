package io.loomhub.benchmarks;

import io.loomhub.netty.HubFutures;
import io.loomhub.netty.NettyReactor;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A virtual thread waiting for a Netty future, {@value #AWAITS} times per invocation. {@code hub}:
 * {@link HubFutures#await} on a promise of the hub's own event loop ({@link NettyReactor#eventLoop}), completed by a
 * task on that loop, so the waiter resumes from the hub callback with no thread hop. {@code jdk}: the JDK default
 * scheduler (parallelism 1) and {@code Future.get()} on a promise of a separate one-thread Netty event loop, which is
 * how blocking-style code waits for Netty without the hub. Score: awaits per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFlags.ADD_OPENS, BenchFlags.NATIVE_ACCESS, BenchFlags.JDK_PARALLELISM_1,
        BenchFlags.JDK_MAX_POOL_1, BenchFlags.HEAP})
public class FutureAwaitBenchmark {

    static final int AWAITS = 1000;

    @Param({Schedulers.HUB, Schedulers.JDK})
    public String scheduler;

    private Schedulers schedulers;
    private EventLoopGroup ownGroup;
    private EventLoop loop;

    @Setup(Level.Trial)
    public void open() {
        schedulers = Schedulers.open(scheduler);
        if (schedulers.hub() != null) {
            loop = NettyReactor.eventLoop(schedulers.hub());
        } else {
            ownGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            loop = ownGroup.next();
        }
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
        schedulers.close();
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Benchmark
    @OperationsPerInvocation(AWAITS)
    public void alreadyCompleted() throws InterruptedException {
        Future<Integer> done = loop.newSucceededFuture(1);
        run(() -> {
            for (int i = 0; i < AWAITS; i++) {
                await(done);
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(AWAITS)
    public void completedLater() throws InterruptedException {
        run(() -> {
            for (int i = 0; i < AWAITS; i++) {
                Promise<Integer> p = loop.newPromise();
                loop.execute(() -> p.setSuccess(1));
                await(p);
            }
        });
    }

    private int await(Future<Integer> f) {
        try {
            return schedulers.hub() != null ? HubFutures.await(f) : f.get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private void run(Runnable body) throws InterruptedException {
        schedulers.start(body).join();
    }
}
