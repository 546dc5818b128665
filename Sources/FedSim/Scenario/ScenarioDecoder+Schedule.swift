import Aggregation
import Learning
import Yams

extension ScenarioDecoder {
  static let scheduleKeys = [
    "mode", "rounds", "clients_per_round", "over_selection", "deadline", "minimum_reports", "concurrency",
    "buffer_size", "max_staleness", "local_steps", "batch_size", "sequence_length", "optimizer", "lr",
    "lr_schedule", "warmup", "gradient_clip", "router",
  ]

  /// Aggregator names a scenario may use: the built-ins and those registered by other packages.
  static var aggregatorNames: [String] { AggregatorRegistry.shared.names }

  static func schedule(_ s: Section, clients: Int) -> ScheduleSection {
    let mode =
      ScheduleSection.Mode(rawValue: s.choice("mode", among: ScheduleSection.Mode.allCases.map(\.rawValue), default: "sync") ?? "sync")
      ?? .synchronous
    let perRound = s.int("clients_per_round", default: min(clients, 10), in: 1...clients) ?? 1
    let optimizer = s.section("optimizer", allowed: ["name", "beta1", "beta2", "eps", "weight_decay", "momentum", "nesterov"])
    let optimizerName = optimizer.choice("name", among: ["adamw", "sgd"], default: "adamw") ?? "adamw"
    optimizer.rejectKeys(
      ofOtherKinds: ["sgd": ["momentum", "nesterov", "weight_decay"], "adamw": ["beta1", "beta2", "eps", "weight_decay"]],
      selected: optimizerName, kindKey: "optimizer")
    let optimizerConfig: OptimizerConfig
    if optimizerName == "sgd" {
      optimizerConfig = .sgd(
        momentum: Float(optimizer.double("momentum", default: 0, in: 0...0.9999) ?? 0),
        nesterov: optimizer.bool("nesterov", default: false),
        weightDecay: Float(optimizer.double("weight_decay", default: 0, in: 0...1) ?? 0))
    } else {
      optimizerConfig = .adamW(
        beta1: Float(optimizer.double("beta1", default: 0.9, in: 0...0.99999) ?? 0.9),
        beta2: Float(optimizer.double("beta2", default: 0.999, in: 0...0.999999) ?? 0.999),
        epsilon: Float(optimizer.double("eps", default: 1e-8, in: 0...1, openLower: true) ?? 1e-8),
        weightDecay: Float(optimizer.double("weight_decay", default: 0.0, in: 0...1) ?? 0))
    }
    let clip = s.double("gradient_clip", default: 1, in: 0...1e6) ?? 1
    let routerSection = s.section("router", allowed: ["every", "steps", "lr", "data"])
    let router = RouterSchedule(
      every: routerSection.int("every", default: 30, in: 1...10_000_000) ?? 30,
      steps: routerSection.int("steps", default: 10, in: 0...10_000_000) ?? 10,
      learningRate: Float(routerSection.double("lr", default: 2e-3, in: 0...10, openLower: true) ?? 2e-3),
      data: RouterSchedule.Data(
        rawValue: routerSection.choice("data", among: RouterSchedule.Data.allCases.map(\.rawValue), default: "validation") ?? "validation")
        ?? .validation)
    return ScheduleSection(
      mode: mode, rounds: s.int("rounds", default: 10, in: 1...10_000_000) ?? 10, clientsPerRound: perRound,
      overSelection: s.double("over_selection", default: 0, in: 0...10) ?? 0,
      deadline: s.double("deadline", default: nil as Double?, in: 0...1e12, openLower: true, optional: true),
      minimumReports: s.int("minimum_reports", default: 1, in: 0...perRound) ?? 1,
      concurrency: s.int("concurrency", default: perRound, in: 1...clients) ?? perRound,
      bufferSize: s.int("buffer_size", default: max(1, perRound / 2), in: 1...1_000_000) ?? 1,
      maxStaleness: s.int("max_staleness", default: nil as Int?, in: 0...1_000_000, optional: true),
      localSteps: s.int("local_steps", default: 10, in: 1...10_000_000) ?? 10,
      batchSize: s.int("batch_size", default: 8, in: 1...65_536) ?? 8,
      sequenceLength: s.int("sequence_length", default: nil as Int?, in: 1...1_000_000, optional: true),
      optimizer: optimizerConfig, learningRate: Float(s.double("lr", default: 1e-3, in: 0...10, openLower: true) ?? 1e-3),
      learningRateSchedule: s.choice("lr_schedule", among: LearningRateSchedule.names, default: "constant") ?? "constant",
      warmupSteps: s.int("warmup", default: 0, in: 0...10_000_000) ?? 0, gradientClip: clip > 0 ? Float(clip) : nil, router: router)
  }

  static func aggregator(_ s: Section) -> AggregatorSection {
    let name = s.choice("name", among: aggregatorNames, default: "fedavg") ?? "fedavg"
    var options: [String: String] = [:]
    if let node = s["options"] {
      if case .mapping(let mapping) = node {
        for (key, value) in mapping {
          guard case .scalar(let k) = key, case .scalar(let v) = value else {
            s.reader.report(value, s.child("options"), "options must be name: value pairs")
            continue
          }
          options[k.string] = v.string
        }
      } else {
        s.reader.report(node, s.child("options"), "expected a mapping, found \(describe(node))")
      }
    }
    // The aggregator validates its own options; a problem points at the option's value.
    let nameIsValid = aggregatorNames.contains(s.string("name", default: name) ?? name)
    if nameIsValid {
      do { _ = try AggregatorRegistry.shared.make(name, options: options) } catch {
        let optionNode: Node? = {
          guard case .mapping(let mapping)? = s["options"] else { return nil }
          return mapping[Node(error.option)]
        }()
        s.reader.report(
          optionNode ?? s["options"] ?? s.node, s.child("options.\(error.option)"),
          "\(error.value) is not valid, expected \(error.expected)")
      }
    }
    return AggregatorSection(name: name, options: options)
  }

  /// Populations above this are evaluated on a sample by default.
  static let evaluateAllUpTo = 10_000

  static func evaluation(_ s: Section, clients: Int) -> EvaluationSection {
    let splits = s.strings("splits") ?? ["validation"]
    for split in splits where !["train", "validation", "test"].contains(split) {
      s.reader.report(
        s["splits"], s.child("splits"), "'\(split)' is not one of train, validation, test",
        suggestion: closestMatch(to: split, among: ["train", "validation", "test"]))
    }
    var evaluated: EvaluationSection.Clients = clients <= evaluateAllUpTo ? .all : .sampled(1000)
    if let node = s["clients"] {
      if case .scalar(let scalar) = node, scalar.string == "all" {
        evaluated = .all
      } else if case .mapping = node {
        let inner = s.section("clients", allowed: ["sampled"])
        if let count = inner.int("sampled", default: nil, in: 1...clients) { evaluated = count == clients ? .all : .sampled(count) }
      } else {
        s.reader.report(node, s.child("clients"), "expected all or {sampled: N}, found \(describe(node))")
      }
    }
    return EvaluationSection(
      every: s.int("every", default: 1, in: 1...10_000_000) ?? 1, clients: evaluated, splits: splits,
      tail: s.int("tail", default: 1, in: 1...10_000_000) ?? 1)
  }

  static func faults(_ s: Section) -> FaultsSection {
    FaultsSection(
      nonFinite: FaultsSection.NonFinite(
        rawValue: s.choice("non_finite", among: FaultsSection.NonFinite.allCases.map(\.rawValue), default: "reject") ?? "reject")
        ?? .reject)
  }

  static func adversaries(_ s: Section, clients: Int) -> AdversariesSection {
    let attackNames = AdversariesSection.Attack.allCases.map(\.rawValue)
    let name = s.choice("attack", among: attackNames, default: "sign-flip") ?? "sign-flip"
    let attack = AdversariesSection.Attack(rawValue: name) ?? .signFlip
    if attack == .labelFlip && s.contains("scale") {
      s.reader.report(s["scale"], s.child("scale"), "label-flip has no scale (the labels are flipped, the update is sent as trained)")
    }
    var count = 0
    if s.contains("count") && s.contains("fraction") {
      s.reader.report(s["fraction"], s.child("fraction"), "give count or fraction, not both")
    } else if s.contains("fraction") {
      let fraction = s.double("fraction", default: 0, in: 0...1) ?? 0
      count = Int((fraction * Double(clients)).rounded())
    } else {
      count = s.int("count", default: 1, in: 0...max(clients, 0)) ?? 0
    }
    let scale = s.double("scale", default: attack == .scaled ? 10 : 1, in: 0...1e6) ?? 1
    return AdversariesSection(count: count, attack: attack, scale: scale)
  }

  static func output(_ s: Section, resolve: (String?) -> String?) -> OutputSection {
    OutputSection(
      directory: s.string("dir"), saveAdapters: s.bool("adapters", default: false), writeTrace: s.bool("trace", default: false),
      checkpointEvery: s.int("checkpoint_every", default: nil, in: 0...1_000_000_000, optional: true))
  }
}

extension Section {
  /// An optional integer: absent or null gives nil without an issue.
  func int(_ key: String, default value: Int?, in range: ClosedRange<Int>, optional: Bool) -> Int? {
    contains(key) ? int(key, default: value, in: range) : value
  }

  /// An optional number: absent or null gives nil without an issue.
  func double(_ key: String, default value: Double?, in range: ClosedRange<Double>, openLower: Bool = false, optional: Bool) -> Double? {
    contains(key) ? double(key, default: value, in: range, openLower: openLower) : value
  }
}
