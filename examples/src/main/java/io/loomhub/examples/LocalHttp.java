package io.loomhub.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;

/**
 * The small amount of plain JDK HTTP the examples share: a loopback {@link HttpServer} and a blocking GET with
 * {@link HttpURLConnection}. Nothing here knows about the hub: that is the point, existing blocking code runs on
 * the hub unchanged.
 */
public final class LocalHttp {

    private LocalHttp() { }

    /**
     * Starts an HTTP server on a free loopback port whose exchanges run on {@code executor}.
     *
     * @param executor runs each exchange; for the hub, {@code hub.newVirtualThreadPerTaskExecutor()}
     * @param path     the context path
     * @param handler  the handler
     * @return the started server; {@code stop(0)} it when done
     * @throws IOException if no port can be bound
     */
    public static HttpServer start(Executor executor, String path, HttpHandler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.createContext(path, handler);
        server.setExecutor(executor);
        server.start();
        return server;
    }

    /** The base URL of a server started by {@link #start}, such as {@code http://127.0.0.1:40123}. */
    public static String baseUrl(HttpServer server) {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** Sends a 200 response with a text body and closes the exchange. */
    public static void reply(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The value of one query parameter, or {@code fallback}. */
    public static String query(HttpExchange exchange, String name, String fallback) {
        String q = exchange.getRequestURI().getRawQuery();
        if (q != null) {
            for (String pair : q.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals(name)) {
                    return java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
        }
        return fallback;
    }

    /**
     * A plain blocking GET (no proxy), as existing code does it. On a hub thread the socket waits park the thread,
     * and the other hub threads run meanwhile.
     *
     * @param url the URL
     * @return the response body
     * @throws IOException on a non-200 status or any I/O failure
     */
    public static String get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        int status = c.getResponseCode();
        if (status != 200) {
            c.disconnect();
            throw new IOException("GET " + url + " answered " + status);
        }
        try (InputStream in = c.getInputStream()) {
            // Reading to the end and closing returns the connection to the JDK's keep-alive cache.
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Loads and links the JDK's HTTP classes (server, client, the date formatting of response headers) on the
     * calling platform thread, before a hub serves HTTP. The first request in a JVM spends 100 ms or more in class
     * loading and static initialisers; on a hub thread that would hold the carrier, and the watchdog would rightly
     * report it (docs/pitfalls.md, "cold start"). Idempotent and cheap after the first call.
     *
     * @throws IOException if the loopback server cannot be started
     */
    public static synchronized void warmUp() throws IOException {
        if (warm) {
            return;
        }
        HttpServer server = start(Runnable::run, "/warm-up", exchange -> {
            query(exchange, "item", "0");
            reply(exchange, "warm");
        });
        try {
            for (int i = 0; i < 20; i++) {
                get(baseUrl(server) + "/warm-up?item=" + i);
            }
        } finally {
            server.stop(0);
        }
        warm = true;
    }

    private static boolean warm;
}
