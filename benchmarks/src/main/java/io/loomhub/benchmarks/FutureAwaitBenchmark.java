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
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * A virtual thread waiting for a Netty future, {@value #AWAITS} times per invocation. {@code hub}:
 * {@link HubFutures#await} on a promise of the hub's own event loop ({@link NettyReactor#eventLoop}), completed by a
 * task on that loop, so the waiter resumes from the hub callback with no thread hop. {@code jdk}: the JDK default
 * scheduler (parallelism 1) and {@code Future.get()} on a promise of a separate one-thread Netty event loop, which is
 * how blocking-style code waits for Netty without the hub. Score: awaits per second.
 */
public class FutureAwaitBenchmark extends SchedulerBenchmark {

    static final int AWAITS = 1000;

    private EventLoopGroup ownGroup;
    private EventLoop loop;

    @Override
    protected void opened() {
        if (schedulers.hub() != null) {
            loop = NettyReactor.eventLoop(schedulers.hub());
        } else {
            ownGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            loop = ownGroup.next();
        }
    }

    @Override
    protected void closed() {
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
