import Foundation
import Graphs

/// `fedsim report`: charts (standalone SVG, and inline in one offline HTML page) and tables
/// (markdown, CSV) of one or more runs or sweeps.
public struct Report {
  /// A chart: its file name (without extension), title and SVG.
  struct Figure {
    let name: String
    let title: String
    let svg: String
    let caption: String
  }

  let groups: [RunGroup]
  var figures: [Figure] = []
  /// What could not be drawn or read: in the page and on stderr.
  public private(set) var notes: [String] = []

  /// Reads the runs under `paths` (run folders, `.partial` folders, sweep folders).
  public init(paths: [URL]) {
    let (runs, problems) = RunDiscovery.runs(at: paths)
    groups = RunGroup.shortLabels(RunGroup.grouping(runs))
    notes = problems + runs.flatMap(\.problems)
    build()
  }

  /// Runs read (finished or not).
  public var runCount: Int { groups.reduce(0) { $0 + $1.runs.count } }

  var allRuns: [RunData] { groups.flatMap(\.runs) }

  var languageModel: Bool { allRuns.contains { $0.scenario?.task == .loraLM } }

  /// The metric the curves show: ‖x − x*‖² for convex tasks that report it, else validation loss.
  var metric: (key: String, label: String, final: String) {
    if allRuns.contains(where: { run in run.rounds.contains { $0["mean_sq_distance"] != nil } }) {
      return ("mean_sq_distance", "mean ‖x − x*‖²", "final_mean_sq_distance")
    }
    return ("mean_val_loss", languageModel ? "mean validation loss (nats/token)" : "mean validation loss", "final_mean_val_loss")
  }

  // MARK: - Building

  mutating func build() {
    guard !allRuns.isEmpty else {
      notes.append("no run to report")
      return
    }
    let metric = self.metric
    curves(metric.key, yLabel: metric.label, name: "metric-per-round", title: "\(metric.label) per round", x: "round", xLabel: "round")
    curves(
      metric.key, yLabel: metric.label, name: "metric-per-time", title: "\(metric.label) per simulated time", x: "sim_time",
      xLabel: "simulated time (s)")
    if languageModel {
      curves(
        "mean_val_perplexity", yLabel: "mean per-client perplexity", name: "perplexity-per-round", title: "validation perplexity per round",
        x: "round", xLabel: "round")
    }
    if allRuns.contains(where: { run in run.rounds.contains { $0["mean_validation_accuracy"] != nil } }) {
      curves(
        "mean_validation_accuracy", yLabel: "mean validation accuracy", name: "accuracy-per-round", title: "validation accuracy per round",
        x: "round", xLabel: "round")
    }
    perClient()
    bytes(metric)
    wallTime()
    privacy(metric)
    trust()
    routing()
    topology()
  }

  mutating func add(_ name: String, _ title: String, _ svg: String, caption: String, empty: Bool, reason: String) {
    figures.append(Figure(name: name, title: title, svg: svg, caption: caption))
    if empty { notes.append("\(title): no data (\(reason))") }
  }

  /// One line per run, or per sweep cell the mean over seeds with a ±1 sd band.
  mutating func curves(_ key: String, yLabel: String, name: String, title: String, x: String, xLabel: String) {
    var chart = XYChart(title: title, xLabel: xLabel, yLabel: yLabel, series: [])
    chart.integerX = x == "round"
    var missing: [String] = []
    for (index, group) in groups.enumerated() {
      let lines = group.runs.map { $0.series(key, x: x) }.filter { !$0.isEmpty }
      guard !lines.isEmpty else {
        missing.append(group.label)
        continue
      }
      chart.series.append(Self.meanSeries(lines, name: group.label, colour: Palette.colour(index)))
    }
    if !missing.isEmpty && !chart.series.isEmpty {
      notes.append("\(title): \(missing.joined(separator: ", ")) recorded no \(key) (another kind of task or metric): not drawn")
    }
    add(
      name, title, chart.svg(),
      caption: groups.contains { $0.runs.count > 1 } ? "Lines: mean over seeds; bands: ±1 sample standard deviation." : "",
      empty: chart.isEmpty, reason: "no run recorded \(key)")
  }

  /// The mean of aligned series (by position) with a ±1 sd band when there are several.
  static func meanSeries(_ lines: [[(x: Double, y: Double)]], name: String, colour: String) -> ChartSeries {
    guard lines.count > 1 else { return ChartSeries(name: name, colour: colour, points: lines[0]) }
    let length = lines.map(\.count).min() ?? 0
    var points: [(x: Double, y: Double)] = []
    var band: [(x: Double, low: Double, high: Double)] = []
    for k in 0..<length {
      let xs = lines.map { $0[k].x }, ys = lines.map { $0[k].y }
      let x = xs.reduce(0, +) / Double(xs.count), mean = ys.reduce(0, +) / Double(ys.count)
      let sd = (ys.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ys.count - 1)).squareRoot()
      points.append((x, mean))
      band.append((x, mean - sd, mean + sd))
    }
    return ChartSeries(name: "\(name) (\(lines.count) seeds)", colour: colour, points: points, band: band)
  }

  mutating func perClient() {
    let columns: [(label: String, colour: String, values: [Double])]
    if allRuns.count <= 12 {
      columns = groups.enumerated().flatMap { index, group in
        group.runs.map { run in
          (Self.runName(run, in: group), Palette.colour(index), run.clientFinalLoss.keys.sorted().map { run.clientFinalLoss[$0]! })
        }
      }
    } else {
      columns = groups.enumerated().map { index, group in
        (
          group.label, Palette.colour(index),
          group.runs.flatMap { run in run.clientFinalLoss.keys.sorted().map { run.clientFinalLoss[$0]! } }
        )
      }
    }
    let chart = StripChart(title: "final validation loss per client", yLabel: "final validation loss", columns: columns)
    add(
      "per-client", chart.title, chart.svg(),
      caption: "One dot per client (clients.csv); the bar is the mean. Personalised methods spread or lower the dots.",
      empty: chart.isEmpty, reason: "clients.csv has no final validation losses")
  }

  mutating func bytes(_ metric: (key: String, label: String, final: String)) {
    var chart = XYChart(
      title: "communication vs \(metric.label)", xLabel: "bytes sent, cumulative (log scale)", yLabel: metric.label, series: [])
    chart.logX = true
    for (index, group) in groups.enumerated() {
      let lines = group.runs.map { $0.bytesAgainst(metric.key) }.filter { !$0.isEmpty }
      if !lines.isEmpty { chart.series.append(Self.meanSeries(lines, name: group.label, colour: Palette.colour(index))) }
    }
    add(
      "bytes", chart.title, chart.svg(), caption: "Uplink plus downlink bytes of every round so far.", empty: chart.isEmpty,
      reason: "no bytes were sent (local training?) or no metric was recorded")
  }

  mutating func wallTime() {
    var chart = XYChart(title: "simulated vs wall-clock time", xLabel: "simulated time (s)", yLabel: "wall-clock time (s)", series: [])
    for (index, group) in groups.enumerated() {
      for run in group.runs.prefix(3) {
        let points = run.series("wall_time_s", x: "sim_time")
        if !points.isEmpty {
          chart.series.append(ChartSeries(name: Self.runName(run, in: group), colour: Palette.colour(index), points: points))
        }
      }
    }
    add(
      "time", chart.title, chart.svg(), caption: "How long the simulation took to compute (at most three runs per cell).",
      empty: chart.isEmpty, reason: "no wall_time_s in the round records")
  }

  mutating func privacy(_ metric: (key: String, label: String, final: String)) {
    guard allRuns.contains(where: { run in run.rounds.contains { $0["epsilon"] != nil } }) else { return }
    curves(
      "epsilon", yLabel: "ε (worst honest client)", name: "epsilon-per-round", title: "privacy spent per round", x: "round", xLabel: "round"
    )
    // The frontier: per method (aggregator), each cell's final ε against its final metric.
    var byMethod: [String: [(epsilon: Double, value: Double, label: String)]] = [:]
    var methods: [String] = []
    for group in groups {
      let finished = group.runs.filter { $0.finished && $0.status != "failed" }
      let epsilons = finished.compactMap { $0.summary["final_epsilon"] }, values = finished.compactMap { $0.summary[metric.final] }
      guard !epsilons.isEmpty, epsilons.count == values.count else { continue }
      let method = finished.first?.scenario?.aggregator.name ?? "runs"
      if byMethod[method] == nil { methods.append(method) }
      byMethod[method, default: []].append(
        (epsilons.reduce(0, +) / Double(epsilons.count), values.reduce(0, +) / Double(values.count), group.label))
    }
    var chart = XYChart(
      title: "privacy–utility frontier", xLabel: "final ε (worst honest client)", yLabel: "final \(metric.label)", series: [])
    for (index, method) in methods.enumerated() {
      let points = byMethod[method]!.sorted { $0.epsilon < $1.epsilon }.map { (x: $0.epsilon, y: $0.value) }
      chart.series.append(ChartSeries(name: method, colour: Palette.colour(index), points: points, markers: true))
    }
    add(
      "frontier", chart.title, chart.svg(), caption: "One point per cell (mean over seeds); lower-left is better.",
      empty: chart.series.allSatisfy { $0.points.count < 1 }, reason: "no finished private run")
  }

  mutating func trust() {
    for run in allRuns.filter({ $0.lastMixing != nil }).prefix(4) {
      let (round, matrix) = run.lastMixing!
      let chart = HeatmapChart(title: "trust weights, \(run.label), round \(round + 1)", matrix: matrix)
      add(
        "trust-\(Self.fileSafe(run.label))", chart.title, chart.svg(), caption: "Row i: the weights client i gave each client.",
        empty: matrix.isEmpty, reason: "empty matrix")
    }
  }

  mutating func routing() {
    var chart = XYChart(
      title: "routing: weight on generalists per layer", xLabel: "layer", yLabel: "mean gate weight on generalists", series: [])
    chart.integerX = true
    for (index, group) in groups.enumerated() {
      let shares = group.runs.compactMap(\.lastGeneralistShare)
      guard !shares.isEmpty else { continue }
      let lines = shares.map { $0.enumerated().map { (x: Double($0.offset + 1), y: $0.element) } }
      var series = Self.meanSeries(lines, name: group.label, colour: Palette.colour(index))
      series.markers = true
      chart.series.append(series)
    }
    if !chart.series.isEmpty {
      add(
        "routing", chart.title, chart.svg(), caption: "Last evaluation on the validation split: 1 = generalists only.", empty: false,
        reason: "")
    }
  }

  mutating func topology() {
    var drawn = Set<String>()
    for run in allRuns {
      guard drawn.count < 4, let scenario = run.scenario, scenario.clients <= 2000 else { continue }
      // One drawing per distinct graph (a sweep's cells usually share theirs).
      let random = !["ring", "complete", "torus", "grid", "path"].contains(scenario.topology.kind)
      let key =
        "\(scenario.schedule.mode == .gossip || scenario.schedule.mode == .asynchronousGossip) \(scenario.topology) \(scenario.clients) \(random ? scenario.seed : 0)"
      guard drawn.insert(key).inserted else { continue }
      let decentralized = scenario.schedule.mode == .gossip || scenario.schedule.mode == .asynchronousGossip
      let graph: Graph
      if decentralized || scenario.topology.kind == "edges" {
        guard let built = try? TopologyBuilder.graph(scenario.topology, clients: scenario.clients, seed: scenario.seed) else {
          notes.append("topology of \(run.label): the graph could not be rebuilt from resolved.json")
          continue
        }
        graph = built
      } else {
        // A server: a star around it is what the clients talk over; draw the clients only.
        guard let star = try? Graph(nodeCount: scenario.clients, edges: []) else { continue }
        graph = star
      }
      let edges = graph.edges.map { ($0.i, $0.j) }
      let circular = ["ring", "complete", "torus", "grid", "path"].contains(scenario.topology.kind) || !decentralized
      var chart = TopologyChart(
        title: "topology (\(decentralized ? scenario.topology.kind : "server"), \(scenario.clients) clients), \(run.label)",
        nodeCount: scenario.clients, edges: edges,
        positions: TopologyChart.layout(nodeCount: scenario.clients, edges: edges, circular: circular), values: run.clientFinalLoss)
      chart.server = !decentralized
      add(
        "topology-\(Self.fileSafe(run.label))", chart.title, chart.svg(), caption: "Node colour: the client's final validation loss.",
        empty: false, reason: "")
    }
  }

  /// A run's name in legends: its group's label, with the seed when the group has several runs.
  static func runName(_ run: RunData, in group: RunGroup) -> String {
    guard group.runs.count > 1 else { return group.label }
    return "\(group.label), seed \(run.seed.map(String.init) ?? run.label)"
  }

  static func fileSafe(_ text: String) -> String {
    String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }.prefix(80))
  }
}
