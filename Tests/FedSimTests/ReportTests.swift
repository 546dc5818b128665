import Foundation
import Testing

@testable import FedSim

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `fedsim report`: well-formed SVG and HTML with the expected series for server, gossip, trust
/// and Decor runs; clear notes (and the rest of the report) for unfinished runs, empty charts and
/// runs with other metrics.
@Suite struct ReportTests {
  /// Parses XML; returns the error, if any.
  static func parseError(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)"
  }

  /// A sweep-like folder of finished runs: fedavg and local (server), gossip, trust and Decor,
  /// two seeds of fedavg.
  static func fixtures() throws -> URL {
    let folder = try CheckpointResumeTests.folder().appendingPathComponent("sweep")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let gossip = ["schedule.mode=gossip", "schedule.deadline=null", "aggregator.options={}"]
    let cells: [(String, [String])] = [
      ("fedavg-seed0", []), ("fedavg-seed1", ["seed=12"]),
      ("local-seed0", ["aggregator.name=local", "aggregator.options={}"]),
      ("gossip-seed0", gossip + ["aggregator.name=gossip"]),
      (
        "trust-seed0",
        gossip + ["aggregator.name=trust", "aggregator.options={scheme: validation, warmup_rounds: 1}", "topology.kind=complete"]
      ),
      ("decor-seed0", gossip + ["aggregator.name=decor", "privacy={clip: 1.0, sigma_cdp: 12, sigma_cor: 20, delta: 1.0e-5}"]),
      ("decor-seed1", gossip + ["aggregator.name=decor", "privacy={clip: 1.0, sigma_cdp: 4, sigma_cor: 20, delta: 1.0e-5}"]),
    ]
    for (name, overrides) in cells {
      try CheckpointResumeTests.runner(CheckpointResumeTests.quadratic, overrides, out: folder.appendingPathComponent(name)).run(
        log: { _ in }, progress: { _ in })
    }
    return folder
  }

  @Test func aSweepReportIsWellFormedWithTheExpectedSeries() throws {
    let sweep = try Self.fixtures()
    let report = Report(paths: [sweep])
    #expect(report.runCount == 7)
    let out = sweep.appendingPathComponent("report")
    try report.write(to: out, force: false)
    let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
    for name in [
      "report.html", "runs.md", "runs.csv", "cells.md", "cells.csv", "metric-per-round.svg", "epsilon-per-round.svg", "frontier.svg",
    ] {
      #expect(names.contains(name), "\(name) missing from \(names)")
    }
    // Every SVG and the page itself parse as XML.
    for name in names where name.hasSuffix(".svg") || name.hasSuffix(".html") {
      let text = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
      #expect(Self.parseError(text) == nil, "\(name): \(Self.parseError(text) ?? "")")
    }
    let curves = try String(contentsOf: out.appendingPathComponent("metric-per-round.svg"), encoding: .utf8)
    for cell in ["fedavg (2 seeds)", "local", "gossip", "trust", "decor (2 seeds)"] {
      #expect(curves.contains("data-series=\"\(cell)\""), "no series \(cell)")
    }
    // The mean over two seeds has its band.
    #expect(curves.contains("<polygon"))
    #expect(names.contains("trust-trust-seed0.svg"))
    #expect(names.contains { $0.hasPrefix("topology-") })
    let frontier = try String(contentsOf: out.appendingPathComponent("frontier.svg"), encoding: .utf8)
    #expect(frontier.contains("data-series=\"decor\""))
    let page = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(page.contains("<dt>FedSim</dt><dd>\(FedSimVersion.string)</dd>") && page.contains("<dt>BLAS kernel</dt>"))
    #expect(page.components(separatedBy: "<svg ").count - 1 == names.filter { $0.hasSuffix(".svg") }.count)
    let cells = try String(contentsOf: out.appendingPathComponent("cells.csv"), encoding: .utf8)
    #expect(cells.contains("fedavg,2,2,"))
    // An existing report folder is not overwritten without force.
    #expect(throws: RunError.self) { try report.write(to: out, force: false) }
  }

  @Test func unfinishedRunsAndEmptyChartsAreReportedNotFatal() throws {
    let folder = try CheckpointResumeTests.folder()
    var cut = try CheckpointResumeTests.runner(
      CheckpointResumeTests.quadratic, ["aggregator.name=local", "aggregator.options={}"], out: folder.appendingPathComponent("local"))
    cut.interruptAfterRounds = 4
    _ = Result { try cut.run(log: { _ in }, progress: { _ in }) }
    let report = Report(paths: [folder.appendingPathComponent("local.partial"), folder.appendingPathComponent("missing")])
    #expect(report.runCount == 1)
    #expect(report.notes.contains { $0.contains("local.partial did not finish (interrupted, 4 rounds recorded)") }, "\(report.notes)")
    #expect(report.notes.contains { $0.contains("missing: no such folder") })
    // Local training sends nothing: the communication chart says so.
    #expect(report.notes.contains { $0.hasPrefix("communication vs") && $0.contains("no data") }, "\(report.notes)")
    let out = folder.appendingPathComponent("report")
    try report.write(to: out, force: false)
    let page = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(Self.parseError(page) == nil)
    #expect(page.contains("did not finish") && page.contains("no data"))
    let bytes = try String(contentsOf: out.appendingPathComponent("bytes.svg"), encoding: .utf8)
    #expect(bytes.contains(">no data<"))
  }

  @Test func runsWithAnotherMetricAreNamed() throws {
    let folder = try CheckpointResumeTests.folder()
    try CheckpointResumeTests.runner(CheckpointResumeTests.quadratic, [], out: folder.appendingPathComponent("convex")).run(
      log: { _ in }, progress: { _ in })
    try CheckpointResumeTests.runner(RunnerTests.scenarioText, [], out: folder.appendingPathComponent("lm")).run(
      log: { _ in }, progress: { _ in })
    let report = Report(paths: [folder])
    #expect(report.notes.contains { $0.contains("lm recorded no mean_sq_distance") }, "\(report.notes)")
  }

  @Test func integerAxesHaveWholeTicks() {
    var chart = XYChart(
      title: "t", xLabel: "layer", yLabel: "y", series: [ChartSeries(name: "a", colour: "#000", points: [(1, 0.5), (2, 0.3)])])
    chart.integerX = true
    let labels = chart.svg().components(separatedBy: "text-anchor=\"middle\"").dropFirst().compactMap {
      $0.split(separator: ">").dropFirst().first
    }
    #expect(labels.contains { $0.hasPrefix("1<") } && labels.contains { $0.hasPrefix("2<") })
    #expect(!labels.contains { $0.hasPrefix("1.5<") })
  }

  /// JSONSerialization hands 0 and 1 over as values that are also Bools: they are numbers here.
  @Test func summaryNumbersZeroAndOneAreRead() throws {
    let folder = try CheckpointResumeTests.folder().appendingPathComponent("run")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try #"{"failed_rounds": 0, "diverged": 1, "final_epsilon": 1.0, "rounds": 3, "name": "x", "status": "completed"}"#.write(
      to: folder.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
    let run = RunData(directory: folder)
    #expect(run.summary == ["failed_rounds": 0, "diverged": 1, "final_epsilon": 1, "rounds": 3])
    #expect(run.labels == ["name": "x", "status": "completed"])
  }

  @Test func ticksAreRoundNumbers() {
    #expect(Ticks.nice(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
    #expect(Ticks.nice(2.1, 2.3).map(Ticks.label) == ["2.1", "2.15", "2.2", "2.25", "2.3"])
    #expect(Ticks.label(1_500_000) == "1.5e+06")
    #expect(SVGCanvas.escape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;")
  }
}
