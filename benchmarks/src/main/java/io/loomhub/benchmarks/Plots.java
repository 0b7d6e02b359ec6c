package io.loomhub.benchmarks;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** The report's PNG plots (XChart, headless): throughput and latency by server. */
final class Plots {

    private Plots() { }

    /** Writes the plots into {@code dir}; returns their file names. */
    static List<String> write(Report report, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> files = new ArrayList<>();
        List<String> servers = new ArrayList<>(report.servers.keySet());
        if (servers.isEmpty() || report.echo.values().stream().allMatch(m -> m.isEmpty())) {
            return files;
        }
        CategoryChart tput = chart("Echo throughput (median over rounds)", "requests per second");
        for (int conns : report.options.connections) {
            List<Double> y = new ArrayList<>();
            for (String s : servers) {
                y.add(zeroIfNaN(report.echoSpread(s, conns, LoadGenerator.Result::throughput).median()));
            }
            tput.addSeries(conns + " connections", servers, y);
        }
        files.add(save(tput, dir, "throughput.png"));

        for (int conns : report.options.connections) {
            CategoryChart lat = chart("Echo latency, " + conns + " connections (median over rounds, log scale)",
                    "round trip, µs");
            lat.getStyler().setYAxisLogarithmic(true);
            lat.getStyler().setYAxisMin(1.0);
            for (double p : new double[] {50, 99, 99.9}) {
                List<Double> y = new ArrayList<>();
                for (String s : servers) {
                    // A log axis has no zero: a missing server shows as 1 µs.
                    y.add(Math.max(1, zeroIfNaN(report.echoSpread(s, conns,
                            r -> r.latency().getValueAtPercentile(p) / 1e3).median())));
                }
                lat.addSeries("p" + (p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p)), servers, y);
            }
            files.add(save(lat, dir, "latency-" + conns + ".png"));
        }

        CategoryChart cpu = chart("Server CPU per request (median over rounds)", "µs of CPU per request");
        for (int conns : report.options.connections) {
            List<Double> y = new ArrayList<>();
            for (String s : servers) {
                y.add(zeroIfNaN(report.echoSpread(s, conns, LoadGenerator.Result::cpuMicrosPerRequest).median()));
            }
            cpu.addSeries(conns + " connections", servers, y);
        }
        files.add(save(cpu, dir, "cpu-per-request.png"));
        return files;
    }

    private static CategoryChart chart(String title, String yTitle) {
        CategoryChart c = new CategoryChartBuilder().width(900).height(480).title(title).xAxisTitle("server")
                .yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setYAxisDecimalPattern("#,##0");
        return c;
    }

    private static String save(CategoryChart chart, Path dir, String name) throws IOException {
        try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
        return name;
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
