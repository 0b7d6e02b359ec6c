package io.loomhub.examples;

import com.sun.net.httpserver.HttpServer;
import io.loomhub.scheduler.Hub;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Existing {@code ExecutorService} code on the hub, unchanged but for one line. The program is an ordinary JDK
 * {@link HttpServer} whose handler makes a blocking call to another local service (a "user directory"), the way
 * servlet-era code does. The only loomhub line is the executor:
 *
 * <pre>{@code
 *   server.setExecutor(hub.newVirtualThreadPerTaskExecutor());   // was: Executors.newFixedThreadPool(200)
 * }</pre>
 * Each exchange then runs on its own hub virtual thread; while it waits for the directory, the carrier runs the
 * other exchanges.
 *
 * <p>Run: {@code scripts/run-example WrapExecutorService} sends a few requests and prints the answers, then exits;
 * {@code scripts/run-example WrapExecutorService --serve} keeps serving until Ctrl-C, for
 * {@code curl 'http://127.0.0.1:PORT/hello?name=ada'}.
 */
public final class WrapExecutorService {

    private WrapExecutorService() { }

    public static void main(String[] args) throws Exception {
        boolean serve = args.length > 0 && args[0].equals("--serve");
        LocalHttp.warmUp();   // class loading off the hub: see LocalHttp.warmUp
        try (Hub hub = Hub.builder().name("web").build();
             ExecutorService directoryThreads = Executors.newVirtualThreadPerTaskExecutor();
             ExecutorService hubThreads = hub.newVirtualThreadPerTaskExecutor()) {
            HttpServer directory = startDirectory(directoryThreads);
            HttpServer web = startWebServer(hubThreads, LocalHttp.baseUrl(directory));
            try {
                if (serve) {
                    System.out.println("serving on " + LocalHttp.baseUrl(web) + "/hello?name=ada  (Ctrl-C stops)");
                    Thread.sleep(Long.MAX_VALUE);
                }
                List<String> answers = callFromOutside(LocalHttp.baseUrl(web), List.of("ada", "grace", "linus"));
                if (!print(answers, hub, System.out)) {
                    System.exit(1);
                }
            } finally {
                web.stop(0);
                directory.stop(0);
            }
        }
    }

    /**
     * The existing service, whose only change is its executor: each exchange runs on a virtual thread of the hub
     * that {@code executor} belongs to, and its blocking call to the directory parks that thread.
     *
     * @param executor     {@code hub.newVirtualThreadPerTaskExecutor()}
     * @param directoryUrl the directory's base URL
     * @return the started server
     */
    public static HttpServer startWebServer(ExecutorService executor, String directoryUrl) throws java.io.IOException {
        return LocalHttp.start(executor, "/hello", exchange -> {
            String name = LocalHttp.query(exchange, "name", "stranger");
            String fullName = LocalHttp.get(directoryUrl + "/users?name=" + name);   // blocking, unchanged
            LocalHttp.reply(exchange, "hello " + fullName + " (handled by " + Thread.currentThread() + ")");
        });
    }

    /** The other local service: a user directory on the JDK's default virtual threads (not on the hub). */
    public static HttpServer startDirectory(ExecutorService executor) throws java.io.IOException {
        return LocalHttp.start(executor, "/users", exchange -> {
            String name = LocalHttp.query(exchange, "name", "?");
            LocalHttp.reply(exchange, switch (name) {
                case "ada" -> "Ada Lovelace";
                case "grace" -> "Grace Hopper";
                case "linus" -> "Linus Torvalds";
                default -> name;
            });
        });
    }

    /** Calls the web server from plain platform threads, all at once, as outside clients would. */
    static List<String> callFromOutside(String webUrl, List<String> names) throws Exception {
        List<String> answers = new ArrayList<>();
        try (ExecutorService callers = Executors.newFixedThreadPool(names.size())) {
            var futures = names.stream().map(n -> callers.submit(() -> LocalHttp.get(webUrl + "/hello?name=" + n)))
                    .toList();
            for (var f : futures) {
                answers.add(f.get());
            }
        }
        return answers;
    }

    /** Prints the answers and whether each exchange ran on the hub's carrier; returns that verdict. */
    static boolean print(List<String> answers, Hub hub, PrintStream out) {
        for (String a : answers) {
            out.println(a);
        }
        String carrier = hub.carrierThread().getName();
        boolean allOnHub = answers.stream().allMatch(a -> a.endsWith("@" + carrier + ")"));
        out.printf(allOnHub
                ? "every exchange ran on a virtual thread of hub '%s', mounted on its carrier '%s'%n"
                : "NOT every exchange ran on hub '%s' (carrier '%s')%n", hub.name(), carrier);
        return allOnHub;
    }
}
