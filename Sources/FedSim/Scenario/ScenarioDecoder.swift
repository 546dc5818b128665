import Aggregation
import Foundation
import Graphs
import Learning
import Simulation
import Yams

/// Decodes scenario files: YAML → `Scenario`, with every problem reported at file:line:column.
public enum ScenarioDecoder {
  static let topLevel = [
    "name", "seed", "task", "clients", "model", "data", "topology", "devices", "network",
    "schedule", "aggregator", "privacy", "evaluation", "faults", "output", "adversaries",
  ]

  /// Decodes a scenario file, after applying `--set key.path=value` overrides.
  public static func decode(contentsOf url: URL, overrides: [String] = []) throws(ScenarioError) -> Scenario {
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw ScenarioError(issues: [
        ScenarioIssue(
          file: url.path, line: 0, column: 0, path: "", message: "cannot read the file: \(error.localizedDescription)", suggestion: nil)
      ])
    }
    return try decode(text, file: url.path, overrides: overrides, baseDirectory: url.deletingLastPathComponent())
  }

  /// Decodes scenario text. Relative paths inside it resolve against `baseDirectory`.
  public static func decode(_ text: String, file: String, overrides: [String] = [], baseDirectory: URL? = nil) throws(ScenarioError)
    -> Scenario
  {
    var root = try ScenarioReader.compose(text, file: file)
    root = try Overrides.apply(overrides, to: root)
    let reader = ScenarioReader(file: file, overrides: overrides)
    let scenario = decode(root, reader: reader, baseDirectory: baseDirectory)
    if !reader.issues.isEmpty {
      // File problems in file order, then problems in overrides.
      throw ScenarioError(
        issues: reader.issues.sorted { ($0.file != file ? 1 : 0, $0.line, $0.column) < ($1.file != file ? 1 : 0, $1.line, $1.column) })
    }
    return scenario
  }

  static func decode(_ root: Node, reader: ScenarioReader, baseDirectory: URL?) -> Scenario {
    let top = Section(reader, root, path: "", allowed: topLevel)
    func resolve(_ path: String?) -> String? {
      guard let path, let baseDirectory, !path.hasPrefix("/") else { return path }
      return baseDirectory.appendingPathComponent(path).path
    }
    let clients = top.int("clients", default: 16, in: 1...10_000_000) ?? 16
    let task =
      Scenario.TaskKind(rawValue: top.choice("task", among: Scenario.TaskKind.allCases.map(\.rawValue), default: "lora-lm") ?? "lora-lm")
      ?? .loraLM
    let seedValue = top.int("seed", default: 0, in: 0...Int.max) ?? 0
    let name = top.string("name", default: "scenario") ?? "scenario"
    if !isRunName(name) {
      reader.report(
        top["name"], "name",
        "'\(name)' cannot name a run directory: use letters, digits, '.', '_' and '-' (not starting with '.'), so the run stays under the output folder"
      )
    }
    let scenario = Scenario(
      name: name,
      seed: UInt64(seedValue),
      task: task,
      clients: clients,
      model: model(top.section("model", allowed: ["base", "lora", "mixture", "init"]), clients: clients, resolve: resolve),
      data: data(top.section("data", allowed: ["source", "partition", "splits", "target", "public_fraction"]), resolve: resolve),
      topology: topology(
        top.section(
          "topology",
          allowed: ["kind", "k", "p", "beta", "m", "rows", "columns", "file", "mixing", "resample_every_round", "require_connected"]),
        clients: clients, resolve: resolve),
      devices: devices(top.section("devices", allowed: ["speed", "memory", "availability", "dropout", "departure"]), resolve: resolve),
      network: network(top.section("network", allowed: ["uplink", "downlink", "peer"]), resolve: resolve),
      schedule: schedule(top.section("schedule", allowed: scheduleKeys), clients: clients),
      aggregator: aggregator(top.section("aggregator", allowed: ["name", "options"])),
      privacy: top.contains("privacy") ? privacy(top.section("privacy", allowed: privacyKeys), clients: clients) : nil,
      evaluation: evaluation(top.section("evaluation", allowed: ["every", "splits", "tail", "clients"]), clients: clients),
      faults: faults(top.section("faults", allowed: ["non_finite"])),
      output: output(top.section("output", allowed: ["dir", "adapters", "trace", "checkpoint_every"]), resolve: resolve),
      adversaries: top.contains("adversaries")
        ? adversaries(top.section("adversaries", allowed: ["count", "fraction", "attack", "scale"]), clients: clients) : nil)
    if reader.issues.isEmpty { crossCheck(scenario, root: root, reader: reader) }
    return scenario
  }

  /// Checks between sections (task and data, schedule and aggregator, aggregator and privacy),
  /// once every section is valid on its own.
  static func crossCheck(_ s: Scenario, root: Node, reader: ScenarioReader) {
    func node(_ path: String) -> Node? {
      var current: Node? = root
      for key in path.split(separator: ".") {
        guard case .mapping(let mapping)? = current else { return nil }
        current = mapping[Node(String(key))]
      }
      return current
    }
    func report(_ paths: [String], _ message: String) {
      let found = paths.first { node($0) != nil }
      reader.report(found.flatMap(node) ?? root, found ?? paths[0], message)
    }
    if (s.task == .loraLM) == s.data.source.isConvex {
      report(
        ["data.source.kind", "data.source", "task"],
        s.task == .loraLM
          ? "task lora-lm needs text data (markov, text-dir, jsonl, fortune)"
          : "task \(s.task.rawValue) needs \(s.task == .linearRegression ? "decor-quadratic or linear" : "logistic") data")
    } else if s.task == .linearRegression, case .logistic = s.data.source {
      report(["data.source.kind"], "task linear-regression needs decor-quadratic or linear data")
    } else if s.task == .logisticRegression, !(s.data.source.isLogistic) {
      report(["data.source.kind"], "task logistic-regression needs logistic data")
    }
    let decentralized = s.schedule.mode == .gossip || s.schedule.mode == .asynchronousGossip
    // Referenced files are read and graphs built now, so what a run would refuse is reported here
    // (a missing edge list, self-loops, ids out of range, a disconnected graph).
    var graph: Graph? = nil
    if s.topology.kind == "edges" || (decentralized && s.clients <= 100_000) {
      do { graph = try TopologyBuilder.graph(s.topology, clients: s.clients, seed: s.seed) } catch {
        if case .data(let message) = error {
          report(["topology.file", "topology.kind", "topology"], message)
        } else {
          report(["topology.file", "topology.kind", "topology"], error.description)
        }
      }
    }
    if s.schedule.mode == .asynchronousGossip, let every = s.output.checkpointEvery, every > 0 {
      report(
        ["output.checkpoint_every"],
        "async-gossip runs cannot be checkpointed yet (nodes are never all between rounds): remove output.checkpoint_every or use schedule.mode gossip"
      )
    }
    if s.aggregator.name == CoMiGS.name && s.model.lora.mixture == nil {
      report(["aggregator.name"], "comigs needs a mixture of experts: add model.mixture (e.g. {experts: 2, generalists: 1})")
    }
    if s.model.lora.mixture != nil && s.task != .loraLM {
      report(["model.mixture"], "a mixture of experts is a language-model adapter: use task lora-lm")
    }
    guard let aggregator = try? AggregatorRegistry.shared.make(s.aggregator.name, options: s.aggregator.options) else { return }
    // The graph built above is the run's when it does not change every round (as Runner decides).
    let fixed = decentralized && !(TopologyBuilder.varies(s.topology) && s.schedule.mode == .gossip) ? graph : nil
    do { try aggregator.validate(s.aggregationSetup(graph: fixed)) } catch {
      report(["aggregator.options.\(error.option)", "aggregator.options", "aggregator.name"], error.description)
    }
    if aggregator.communication != .none && decentralized != (aggregator.communication == .neighbours) {
      report(
        ["schedule.mode", "aggregator.name"],
        decentralized
          ? "schedule.mode \(s.schedule.mode.rawValue) needs an aggregator that exchanges with neighbours (gossip, trust, decor, ldp), not \(s.aggregator.name)"
          : "aggregator \(s.aggregator.name) exchanges with neighbours: use schedule.mode gossip or async-gossip")
    }
    if aggregator.privacy == .correlated && s.schedule.mode == .asynchronousGossip {
      report(
        ["schedule.mode"],
        "decor needs synchronous rounds (schedule.mode gossip): stale messages break the pairwise cancellation of its correlated noise, and its accountant assumes synchronous rounds"
      )
    }
    switch (aggregator.privacy, s.privacy) {
    case (.none, .some):
      report(["privacy"], "aggregator \(s.aggregator.name) adds no noise: use decor, ldp or cdp with a privacy section, or remove it")
    case (.local, nil), (.correlated, nil), (.central, nil):
      report(["aggregator.name"], "aggregator \(s.aggregator.name) needs a privacy section (clip, sigma_cdp or target_epsilon)")
    case (.central, .some(let privacy)) where privacy.level == .example:
      report(["privacy.level"], "cdp adds its noise once per round on the server: use level user")
    default: break
    }
  }

  /// A run name that is a plain folder name: letters, digits, '.', '_' and '-', not starting with
  /// '.' (so neither a hidden folder nor '..'), at most 200 characters.
  static func isRunName(_ name: String) -> Bool {
    !name.isEmpty && name.count <= 200 && !name.hasPrefix(".")
      && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
  }

  // MARK: - model

  static func model(_ s: Section, clients: Int, resolve: (String?) -> String?) -> ModelSection {
    let base = s.section(
      "base",
      allowed: [
        "config", "checkpoint", "dim", "layers", "heads", "kv_heads", "ffn_dim", "context", "tied", "pretrain_steps", "pretrain_lr",
      ])
    let lora = s.section("lora", allowed: ["rank", "alpha", "rslora", "dropout", "targets"])
    let mixtureSection = s.section(
      "mixture", allowed: ["experts", "generalists", "top_k", "importance", "balance_weight", "experts_per_client"])
    var mixture: MixtureConfig? = nil
    var perClient: [Int]? = nil
    if s.contains("mixture") {
      // Clients with different numbers of specialists: the layout holds the largest count.
      if let items = mixtureSection.stringItems("experts_per_client") {
        var counts: [Int] = []
        for (text, node) in items {
          guard let count = Int(text), (1...64).contains(count) else {
            mixtureSection.reader.report(node, mixtureSection.child("experts_per_client"), "expected an integer in 1...64, found '\(text)'")
            continue
          }
          counts.append(count)
        }
        if counts.count != clients {
          mixtureSection.reader.report(
            mixtureSection["experts_per_client"], mixtureSection.child("experts_per_client"),
            "\(counts.count) counts for \(clients) clients, expected one per client")
        }
        perClient = counts
      }
      let experts = mixtureSection.int("experts", default: perClient?.max() ?? 2, in: 1...64) ?? 2
      if let perClient, let largest = perClient.max(), largest != experts {
        mixtureSection.reader.report(
          mixtureSection["experts"], mixtureSection.child("experts"), "\(experts), expected the largest of experts_per_client (\(largest))")
      }
      mixture = MixtureConfig(
        experts: experts, generalists: mixtureSection.int("generalists", default: min(1, experts), in: 0...experts) ?? 1,
        topK: mixtureSection.int("top_k", default: min(2, experts), in: 1...experts) ?? min(2, experts),
        importance: mixtureSection.double("importance", default: 0.5, in: 0...1, openLower: true) ?? 0.5,
        balanceWeight: mixtureSection.double("balance_weight", default: 0.01, in: 0...1e3) ?? 0.01)
    }
    base.rejectKeys(
      ofOtherKinds: [
        "checkpoint": ["checkpoint"],
        "config": ["config", "dim", "layers", "heads", "kv_heads", "ffn_dim", "context", "tied", "pretrain_steps", "pretrain_lr"],
      ], selected: base.contains("checkpoint") ? "checkpoint" : "config", kindKey: "a base given by")
    let baseValue: ModelSection.Base
    if let path = base.string("checkpoint") {
      baseValue = .checkpoint(path: resolve(path) ?? path)
    } else {
      let name = base.choice("config", among: ModelConfig.presets.keys.sorted(), default: "nano") ?? "nano"
      var config = ModelConfig.presets[name] ?? .nano
      if let v = base.int("dim", default: config.dim, in: 2...65_536) { config.dim = v }
      if let v = base.int("layers", default: config.layers, in: 1...256) { config.layers = v }
      if let v = base.int("heads", default: config.heads, in: 1...1024) {
        config.heads = v
        config.kvHeads = v
      }
      if let v = base.int("kv_heads", default: config.kvHeads, in: 1...1024) { config.kvHeads = v }
      if let v = base.int("ffn_dim", default: config.ffnDim, in: 1...1_000_000) { config.ffnDim = v }
      if let v = base.int("context", default: config.contextLength, in: 1...1_000_000) { config.contextLength = v }
      config.tiedEmbeddings = base.bool("tied", default: false)
      do { try config.validate() } catch {
        if case .invalidConfig(let field, let value, let expected) = error {
          s.reader.report(base.node, base.path, "\(field) = \(value), expected \(expected)", near: s.node)
        }
      }
      baseValue = .builtIn(
        config: config, pretrainSteps: base.int("pretrain_steps", default: 300, in: 0...10_000_000) ?? 300,
        pretrainLearningRate: Float(base.double("pretrain_lr", default: 3e-3, in: 0...1, openLower: true) ?? 3e-3))
    }
    var targets = Set(Projection.allCases)
    if let items = lora.stringItems("targets"), items.map(\.0) != ["all"] {
      targets = []
      for (name, node) in items {
        if let projection = Projection(rawValue: name) {
          targets.insert(projection)
        } else {
          lora.reader.report(
            node, lora.child("targets"),
            "'\(name)' is not a projection (expected all or names among \(Projection.allCases.map(\.rawValue).joined(separator: ", ")))",
            suggestion: closestMatch(to: name, among: Projection.allCases.map(\.rawValue)))
        }
      }
    }
    let config = LoRAConfig(
      rank: lora.int("rank", default: 8, in: 1...4096) ?? 8,
      alpha: Float(lora.double("alpha", default: 16, in: 0...1e6, openLower: true) ?? 16),
      useRSLoRA: lora.bool("rslora", default: false), dropout: Float(lora.double("dropout", default: 0, in: 0...0.99) ?? 0),
      targets: targets.isEmpty ? Set(Projection.allCases) : targets, mixture: mixture)
    if mixture != nil, config.expertTargets.isEmpty {
      s.reader.report(
        s["lora"] ?? s.node, "model.lora.targets", "a mixture needs an MLP projection (gate_proj, up_proj, down_proj) among the targets")
    }
    if let perClient, let mixture, let fewest = perClient.min(), fewest < mixture.generalists {
      s.reader.report(
        mixtureSection["experts_per_client"], "model.mixture.experts_per_client",
        "a client with \(fewest) experts cannot hold the \(mixture.generalists) generalists")
    }
    var section = ModelSection(base: baseValue, lora: config, convexInit: s.double("init", default: 0, in: -1e6...1e6) ?? 0)
    section.expertsPerClient = perClient
    return section
  }
}
