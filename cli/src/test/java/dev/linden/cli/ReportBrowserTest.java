package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.reports.Server;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import picocli.CommandLine;

/**
 * The reports of a valid and an invalid run, opened in real headless Chromium (Debian's chromium and
 * chromium-driver, which .ci/run installs): no console errors, the plots, the fault windows and (for the
 * invalid run) the counterexample are there. Screenshots go to target/screenshots/. Then serve lists
 * both runs and serves a report over HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private Path store;
    private Path valid;
    private Path invalid;
    private WebDriver driver;

    private Path run(String... args) {
        TestCommand c = new TestCommand();
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--store", store.toString(), "--quiet"));
        new CommandLine(c).parseArgs(a.toArray(String[]::new));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        String text = out.toString(StandardCharsets.UTF_8);
        String line = text.lines()
                .filter(l -> l.startsWith("store: "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(text));
        return Path.of(line.substring("store: ".length()));
    }

    @BeforeAll
    void setUp() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (System.getenv("CI") != null) {
            assertTrue(present, "CI must install chromium and chromium-driver (see .ci/run)");
        }
        Assumptions.assumeTrue(present, "no headless Chromium here (apt-get install chromium chromium-driver)");
        store = Files.createTempDirectory("linden-report-test");
        // Every family but long-partition, whose one long exclusive window would fill a 10 s run.
        valid = run("--seed", "1", "--time-limit", "10", "--nemesis", "partition,kill,pause,clock,disk,link");
        // The first seed whose run of the broken cluster is invalid (about one in eight is).
        for (int seed = 1; seed <= 40 && invalid == null; seed++) {
            Path d = run(
                    "--bug",
                    "unsafe-reads",
                    "--nodes",
                    "3",
                    "--nemesis",
                    "partition,pause,kill",
                    "--time-limit",
                    "15",
                    "--concurrency",
                    "8",
                    "--keys",
                    "2",
                    "--seed",
                    String.valueOf(seed));
            if (Files.readString(d.resolve("results.json")).contains("\"valid\" : false")) {
                invalid = d;
            }
        }
        assertTrue(invalid != null, "no seed of the broken cluster was invalid");
        System.setProperty("webdriver.chrome.driver", DRIVER.toString()); // never fetch a driver
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--allow-file-access-from-files",
                "--window-size=1200,3000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        driver = new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(DRIVER.toFile())
                        .build(),
                o);
        driver.manage().window().setSize(new Dimension(1200, 3000));
    }

    @AfterAll
    void tearDown() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (store != null) {
            try (var walk = Files.walk(store)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void open(Path dir, String screenshot) throws Exception {
        driver.manage().logs().get(LogType.BROWSER); // drop what earlier pages logged
        driver.get(dir.resolve("index.html").toUri().toString());
        List<String> severe = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.WARNING.intValue()) {
                severe.add(e.getMessage());
            }
        }
        assertEquals(List.of(), severe, "console errors in " + dir);
        Path shots = Path.of("target", "screenshots");
        Files.createDirectories(shots);
        Files.write(shots.resolve(screenshot), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void theValidRunsReportShowsItsPlotsAndFaultWindows() throws Exception {
        open(valid, "valid.png");
        assertTrue(driver.findElement(By.id("verdict")).getText().startsWith("Valid"));
        assertTrue(driver.findElements(By.cssSelector("#latency-plot canvas")).size() >= 1, "no latency plot");
        assertTrue(driver.findElements(By.cssSelector("#rate-plot canvas")).size() >= 1, "no rate plot");
        assertTrue(
                driver.findElements(By.cssSelector("#fault-windows li.fault-window"))
                                .size()
                        >= 3,
                "no fault windows");
        assertTrue(driver.findElements(By.cssSelector("#faults tr")).size() > 3, "no fault evidence");
        assertTrue(driver.findElements(By.id("counterexample")).isEmpty());
        assertTrue(driver.findElement(By.id("replay")).getText().startsWith("./linden test"));
    }

    @Test
    void theInvalidRunsReportDrawsTheCounterexample() throws Exception {
        open(invalid, "invalid.png");
        assertTrue(driver.findElement(By.id("verdict")).getText().startsWith("Invalid"));
        assertTrue(
                driver.findElements(By.cssSelector("#counterexample svg.counterexample g.failing rect"))
                                .size()
                        >= 1,
                "the failing operation is not drawn");
        assertTrue(driver.findElements(By.cssSelector("#counterexample svg.counterexample g.concurrent"))
                        .size()
                >= 1);
        assertTrue(driver.findElement(By.cssSelector("#counterexample .sentence"))
                .getText()
                .contains("read of key"));
        assertTrue(driver.findElements(By.cssSelector("#latency-plot canvas")).size() >= 1);
    }

    /**
     * A figure, not a check (machines drift): the size and load time of the report of a run of about
     * 100,000 operations. Run with {@code -Dreport.bench=true}.
     */
    @Test
    void benchmarkTheReportOfAHundredThousandOperations() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("report.bench"), "a benchmark: -Dreport.bench=true");
        Path big = run("--seed", "5", "--time-limit", "500", "--rate", "300", "--concurrency", "10");
        long ops = Files.lines(big.resolve("history.json")).count() / 2;
        long bytes = Files.size(big.resolve("index.html"));
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            driver.get(big.resolve("index.html").toUri().toString());
            Object nav = ((org.openqa.selenium.JavascriptExecutor) driver)
                    .executeScript("var t = performance.timing; return t.loadEventEnd - t.navigationStart;");
            System.out.printf(
                    "report of %d operations: %.1f MB, loaded in %s ms (page load event), %d ms until "
                            + "driver.get returned%n",
                    ops, bytes / 1e6, nav, (System.nanoTime() - t0) / 1_000_000);
        }
        open(big, "hundred-thousand.png");
    }

    @Test
    void serveListsTheRunsAndServesAReport() throws Exception {
        try (Server s = Server.start(store, "127.0.0.1", 0)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + s.port();
            HttpResponse<String> list = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, list.statusCode());
            assertTrue(list.body().contains(valid.getFileName().toString()), list.body());
            assertTrue(list.body().contains("<tr class=\"invalid\">")
                    && list.body().contains("<tr class=\"valid\">"));
            String rel = store.relativize(invalid).toString();
            HttpResponse<String> report = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/files/" + rel + "/index.html"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, report.statusCode());
            assertTrue(report.body().contains("uPlot") && report.body().contains("counterexample"));
            HttpResponse<String> escape = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/files/../../etc/passwd"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, escape.statusCode());
            driver.get(base + "/");
            assertTrue(driver.findElements(By.cssSelector("#runs tr")).size() >= 3);
        }
    }
}
