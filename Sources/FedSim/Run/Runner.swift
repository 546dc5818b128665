import Aggregation
import Foundation
import Graphs
import Learning
import Randomness
import Simulation
import StateArchive

/// What a run reports as it goes (the CLI turns it into a progress line or log lines).
public struct RoundProgress: Sendable {
  public let round: Int
  public let rounds: Int
  public let simulatedTime: Double
  public let meanTrainLoss: Double
  public let meanValidationLoss: Double?
  public let bytesSent: Int
  public let wallSeconds: Double
  /// The worst honest client's ε so far (private runs).
  public let epsilon: Double?
}

/// Turns a scenario into a simulation and a run directory.
///
/// The run directory is assembled in a temporary sibling folder and renamed into place at the
/// end, so an interrupted run never leaves a directory that looks complete, and an existing
/// directory is never overwritten.
public struct Runner {
  public let scenario: Scenario
  public let scenarioText: String
  public let overrides: [String]
  public let workers: Int
  /// The run folder (a scratch folder on the ranks other than the leader of a distributed run).
  public internal(set) var output: URL
  public let cacheDirectory: URL
  /// Generate every client's convex data at start instead of on first use (tests show both give
  /// the same run).
  var eagerData = false
  /// The checkpoint a resumed run starts from (`Runner.resuming`).
  var resumePoint: ResumePoint?
  /// Tests: behave as if interrupted once this many rounds are recorded.
  var interruptAfterRounds: Int?
  /// Where the scenario came from (its text is stored in checkpoints, with these, for resuming).
  var scenarioFile = ""
  var scenarioDirectory: URL?
  /// The ranks sharing this run (`distributed(over:)`); one process by default.
  public internal(set) var cluster: any Cluster = SingleProcess()

  /// The folder the run is written in until it completes: `<output>.partial`, visible, so that an
  /// interrupted or killed run is never hidden (it holds the checkpoints to resume from).
  public var workDirectory: URL {
    output.deletingLastPathComponent().appendingPathComponent(output.lastPathComponent + ".partial")
  }

  public init(
    scenario: Scenario, scenarioText: String, overrides: [String], workers: Int, output: URL, cacheDirectory: URL,
    scenarioFile: URL? = nil
  ) {
    self.scenarioFile = scenarioFile?.path ?? ""
    scenarioDirectory = scenarioFile?.deletingLastPathComponent()
    self.scenario = scenario
    self.scenarioText = scenarioText
    self.overrides = overrides
    self.workers = workers
    self.output = output
    self.cacheDirectory = cacheDirectory
  }

  /// Runs to the end; returns the summary written to summary.json.
  @discardableResult
  public func run(log: @escaping (String) -> Void, progress: @escaping (RoundProgress) -> Void) throws(RunError) -> [String: Double] {
    let s = scenario
    if FileManager.default.fileExists(atPath: output.path) {
      throw .output(path: output.path, reason: "already exists; choose another --out (runs are never overwritten)")
    }
    if resumePoint == nil && FileManager.default.fileExists(atPath: workDirectory.path) {
      throw .output(
        path: workDirectory.path,
        reason:
          "holds an unfinished run: continue it with `fedsim run --resume \(workDirectory.path)`, or remove it to start again")
    }
    let start = Date()
    // The kernel decides the last bits of every result: say which, and record it with the run.
    let blas = BLASKernelSelection.current
    log(blas.line)
    for warning in blas.warnings { log("warning: \(warning)") }
    if cluster.size > 1 {
      log(
        "distributed: \(cluster.size) ranks × \(workers) workers; client c trains on rank c mod \(cluster.size), rank 0 writes the run")
    }
    let aggregator: any Aggregator
    do { aggregator = try AggregatorRegistry.shared.make(s.aggregator.name, options: s.aggregator.options) } catch {
      throw .invalid(field: "aggregator", value: s.aggregator.name, reason: error.description)
    }
    try checkDistributable(aggregator)
    let decentralized = s.schedule.mode == .gossip || s.schedule.mode == .asynchronousGossip
    if decentralized != (aggregator.communication == .neighbours) && aggregator.communication != .none {
      throw .invalid(
        field: "aggregator.name", value: s.aggregator.name,
        reason: decentralized
          ? "schedule.mode \(s.schedule.mode.rawValue) needs an aggregator that exchanges with neighbours (e.g. gossip)"
          : "aggregator \(s.aggregator.name) exchanges with neighbours: use schedule.mode gossip or async-gossip")
    }
    if aggregator.privacy == .correlated && s.schedule.mode == .asynchronousGossip {
      throw .invalid(
        field: "schedule.mode", value: s.schedule.mode.rawValue,
        reason: "decor needs synchronous rounds (gossip): stale messages break the pairwise cancellation of its correlated noise")
    }
    if aggregator.privacy == .central && s.privacy?.level == .example {
      throw .invalid(
        field: "privacy.level", value: "example", reason: "cdp adds its noise once per round on the server: use level user")
    }
    switch s.task {
    case .loraLM:
      // Each rank of a distributed run keeps the token streams of its own clients only.
      let cluster = self.cluster
      let (learner, data) = try Self.languageModelLearner(
        for: s, cacheDirectory: cacheDirectory, workers: workers, log: log, holds: { cluster.owns($0) })
      return try execute(
        learner: learner, aggregator: aggregator, sizes: { (data.trainCounts[$0], data.validationCounts[$0]) }, start: start, log: log,
        progress: progress, domainNames: data.domainNames, testLossFloor: data.testLossFloor)
    case .linearRegression, .logisticRegression:
      let learner = try Self.convexLearner(for: s, eager: eagerData)
      if learner.optimum == nil {
        log(
          "x* is not computed for more than \(ConvexLearner.optimumLimit) clients (it needs every client's data): mean_sq_distance is not reported"
        )
      }
      let population = learner.population
      return try execute(
        learner: learner, aggregator: aggregator, sizes: { (population.counts($0).train, population.counts($0).validation) }, start: start,
        log: log, progress: progress)
    }
  }

  func execute<L: LocalLearner>(
    learner: L, aggregator: any Aggregator, sizes: (Int) -> (train: Int, validation: Int), start: Date, log: @escaping (String) -> Void,
    progress: @escaping (RoundProgress) -> Void, domainNames: [String] = [], testLossFloor: [Double]? = nil
  ) throws(RunError) -> [String: Double] {
    let s = scenario
    let decentralized = s.schedule.mode == .gossip || s.schedule.mode == .asynchronousGossip
    let (fixedGraph, privacy) = try Self.prepare(s, learner: learner, aggregator: aggregator)
    if let privacy {
      let noise =
        privacy.mechanism == .correlated
        ? "σ_cdp = \(privacy.sigmaCDP), σ_cor = \(privacy.sigmaCor)"
        : privacy.mechanism == .central ? "σ (sum) = \(privacy.sigmaCDP)" : "σ = \(privacy.sigmaCDP)"
      let final = (0..<s.clients).compactMap { privacy.epsilon(client: $0, rounds: s.schedule.rounds) }.max() ?? .nan
      log(
        "privacy: \(privacy.mechanism.rawValue) noise at \(privacy.level.rawValue) level, C = \(privacy.clip), \(noise), δ = \(privacy.delta); ε after \(s.schedule.rounds) rounds ≤ \(String(format: "%.4g", final))"
      )
    }
    let federation = Federation(
      learner: learner, aggregator: aggregator, privacy: privacy, population: s.clients, seed: s.seed, runName: s.name,
      keysSeeded: (s.privacy?.keys ?? .seeded) == .seeded, workers: workers, nonFinite: s.faults.nonFinite)
    federation.cluster = cluster
    if let attack = s.adversaries {
      federation.attack = attack
      federation.adversaries = attack.clients(population: s.clients, seed: s.seed)
      log(
        "adversaries: \(federation.adversaries.count) clients send \(attack.attack.rawValue) values (scale \(attack.scale)): \(federation.adversaries.sorted().prefix(20).map(String.init).joined(separator: ", "))\(federation.adversaries.count > 20 ? ", …" : "")"
      )
    }
    let settings = SimulationSettings(
      clients: s.clients, seed: s.seed, workers: workers, devices: s.devices, network: s.network, keepsTrace: s.output.writeTrace)
    let (serverSimulation, gossipSimulation) = try Self.simulation(
      for: s, federation: federation, settings: settings, fixedGraph: fixedGraph)
    do { try serverSimulation?.distribute(over: cluster) } catch { throw .simulation(error.description) }
    do { try gossipSimulation?.distribute(over: cluster) } catch { throw .simulation(error.description) }
    let temporary = workDirectory
    let writer = try MetricsWriter(directory: temporary, resumingAt: resumePoint?.header.metricsBytes)
    let languageModel = L.self == LoRALearner.self
    let recorder = RoundRecorder(writer: writer, clients: s.clients, decentralized: decentralized, log: log)
    recorder.domainNames = domainNames
    // Resumable: every schedule whose nodes are all between rounds at some point.
    let resumable = s.schedule.mode != .asynchronousGossip && cluster.size == 1
    let checkpointEvery = resumable ? s.output.checkpointEvery ?? 10 : 0
    if let resumePoint {
      do {
        var reader = ArchiveReader(resumePoint.state)
        try reader.section("run")
        try recorder.restore(from: &reader)
        let state = try reader.readBytes()
        try reader.section("run-end")
        if let serverSimulation { try serverSimulation.restore(from: state) }
        if let gossipSimulation { try gossipSimulation.restore(from: state) }
      } catch {
        throw .checkpoint(
          path: resumePoint.directory.path,
          reason: "does not fit this run (\(error.description)): it was written for another scenario or FedSim version")
      }
      log("resumed from the checkpoint after round \(resumePoint.header.roundsCompleted) (\(resumePoint.header.reason))")
    } else {
      try writeStartNote(temporary)
      if let attack = s.adversaries {
        writer.line([
          "kind": .string("adversaries"), "attack": .string(attack.attack.rawValue), "scale": .double(attack.scale),
          "clients": .array(federation.adversaries.sorted().map(JSONValue.int)),
        ])
      }
    }
    if cluster.size > 1 {
      log("checkpoints: not written in distributed runs yet (each rank holds only its own clients' state)")
    } else if !resumable {
      log("checkpoints: async-gossip runs cannot be checkpointed (nodes are never all between rounds)")
    }
    let evaluated = Self.evaluatedClients(s)
    if evaluated.count < s.clients {
      log("evaluation: a fixed sample of \(evaluated.count) of the \(s.clients) clients (evaluation.clients), drawn from the seed")
    }
    let setupSeconds = Date().timeIntervalSince(start)
    var aggregatorWarnings = 0
    let onRound: (RoundSummary) -> Void = { summary in
      recorder.bytes += summary.bytesUp + summary.bytesDown
      recorder.roundsRecorded += 1
      // Findings in the order the simulator processed the work, then the round's aggregates.
      let findings =
        summary.rejectedWork.compactMap { federation.findings.takeWork(client: $0.client, round: $0.round) }
        + federation.findings.takeAggregates(round: summary.round)
      recorder.record(findings: findings, policy: s.faults.nonFinite)
      let failed = recorder.isFailed(summary)
      if failed { recorder.noteFailedRound(summary) }
      let isLast = summary.round + 1 == s.schedule.rounds
      var record: [String: JSONValue] = [
        "kind": .string("round"), "round": .int(summary.round), "sim_time": .double(summary.endTime),
        "selected": .int(summary.selected), "reports": .int(summary.aggregatedReports), "dropouts": .int(summary.dropouts),
        "lost_messages": .int(summary.lostMessages), "discarded_reports": .int(summary.discardedReports),
        "rejected_reports": .int(summary.rejectedReports), "failed": .bool(failed),
        "bytes_up": .int(summary.bytesUp), "bytes_down": .int(summary.bytesDown), "aggregated": .bool(summary.aggregated),
        "mean_staleness": .double(summary.meanStaleness), "max_staleness": .int(summary.maxStaleness),
        "wall_time_s": .double(Date().timeIntervalSince(start)),
      ]
      var validation: Double? = nil
      if (summary.round + 1) % s.evaluation.every == 0 || isLast {
        for split in s.evaluation.splits {
          let evaluations = federation.evaluate(split: split, clients: evaluated, workers: workers)
          let fields = recorder.record(
            evaluations: evaluations, split: split, round: summary.round, time: summary.endTime, languageModel: languageModel)
          record.merge(fields) { _, new in new }
          if split == "validation" {
            validation = SplitMeans(evaluations.map(\.evaluation).filter { $0.count > 0 }, languageModel: false).loss
          }
        }
        record["evaluated_clients"] = .int(evaluated.count)
      }
      // What the aggregator recorded this round, and its warnings (the first ten are logged).
      if let report = federation.aggregationReports.take(round: summary.round) {
        for (name, value) in report.numbers { record["aggregator.\(name)"] = .double(value) }
        for warning in report.warnings {
          aggregatorWarnings += 1
          if aggregatorWarnings <= 10 {
            log("aggregator \(s.aggregator.name), round \(summary.round + 1): \(warning)")
          } else if aggregatorWarnings == 11 {
            log("further aggregator warnings are not logged")
          }
        }
      }
      if let train = summary.clientMetrics["train_loss"] { record["mean_train_loss"] = .double(train) }
      if decentralized { record["consensus_distance"] = .double(federation.consensusDistance()) }
      if let distance = federation.meanSquaredDistanceToOptimum(clients: evaluated) {
        record["mean_sq_distance"] = .double(distance)
        recorder.distances.append(distance)
      }
      if let epsilons = federation.epsilons(clientCount: s.clients) {
        recorder.lastEpsilons = epsilons
        record["epsilon"] = .double(epsilons.compactMap { $0 }.max() ?? 0)
        record["epsilon_clients"] = .array(epsilons.map { $0.map(JSONValue.double) ?? .null })
      }
      writer.line(record)
      if let matrix = federation.mixingMatrix(round: summary.round, clientCount: s.clients) {
        writer.line([
          "kind": .string("mixing"), "round": .int(summary.round),
          "matrix": .array(matrix.map { row in .array(row.map(JSONValue.double)) }),
        ])
      }
      progress(
        RoundProgress(
          round: summary.round, rounds: s.schedule.rounds, simulatedTime: summary.endTime,
          meanTrainLoss: summary.clientMetrics["train_loss"] ?? .nan, meanValidationLoss: validation,
          bytesSent: recorder.bytes, wallSeconds: Date().timeIntervalSince(start),
          epsilon: recorder.lastEpsilons.isEmpty ? nil : recorder.lastEpsilons.compactMap { $0 }.max()))
    }
    let result: SimulationResult
    // Checkpoints every `checkpointEvery` rounds and when interrupted: the simulation stops only
    // once the interruption's checkpoint is written (gossip finishes its round first).
    let interruptAfter = interruptAfterRounds
    let interrupted = { RunInterruption.requested || interruptAfter.map { recorder.roundsRecorded >= $0 } ?? false }
    let checkpoints = CheckpointSchedule(
      every: checkpointEvery, rounds: s.schedule.rounds, saved: recorder.roundsRecorded, interrupted: interrupted)
    let save: (String, () throws -> [UInt8]) -> Void = { reason, simulationState in
      do {
        writer.synchronize()
        var archive = ArchiveWriter()
        archive.section("run")
        recorder.archive(to: &archive)
        archive.write(try simulationState())
        archive.section("run-end")
        try CheckpointFile.write(
          CheckpointFile.encode(header: self.checkpointHeader(recorder: recorder, writer: writer, reason: reason), state: archive.bytes),
          to: temporary.appendingPathComponent("checkpoint"))
        try self.writeNote(
          temporary, status: "running", reason: "checkpoint after round \(recorder.roundsRecorded)", rounds: recorder.roundsRecorded,
          resumable: true)
        checkpoints.saved = recorder.roundsRecorded
      } catch {
        checkpoints.failures += 1
        if checkpoints.failures == 1 { log("warning: \(error) — the run goes on; the previous checkpoint is kept") }
      }
    }
    let stop = {
      federation.errors.first != nil || (interrupted() && (checkpoints.savedOnInterrupt || !resumable))
    }
    do {
      if let simulation = serverSimulation {
        simulation.onRound = onRound
        simulation.shouldStop = stop
        if resumable {
          simulation.afterEvent = { [unowned simulation] in
            if let reason = checkpoints.due(rounds: recorder.roundsRecorded) { save(reason) { simulation.archive() } }
          }
        }
        result = try simulation.run()
      } else if let simulation = gossipSimulation {
        simulation.onRound = onRound
        simulation.shouldStop = stop
        if resumable {
          simulation.afterRound = { [unowned simulation] in
            if let reason = checkpoints.due(rounds: recorder.roundsRecorded) { save(reason) { try simulation.archive() } }
          }
        }
        result = try simulation.run()
      } else {
        throw SimulationError.stalled(time: 0, reason: "no simulation was built")
      }
    } catch {
      // A failure the federation recorded (a non-finite value under `stop`, a keystream), or an
      // interruption, is what stopped the simulation. What was written stays, visibly.
      let cause: RunError =
        federation.errors.first
        ?? (interrupted()
          ? .interrupted(directory: temporary.path, resumable: checkpoints.savedOnInterrupt) : .simulation("\(error)"))
      throw keepPartial(temporary, writer: writer, rounds: recorder.roundsRecorded, cause: cause)
    }
    if let error = federation.errors.first { throw keepPartial(temporary, writer: writer, rounds: recorder.roundsRecorded, cause: error) }
    if let setup = result.setup {
      writer.line([
        "kind": .string("setup"), "messages": .int(setup.messages), "bytes": .int(setup.bytes),
        "retransmissions": .int(setup.retransmissions), "sim_time": .double(setup.endTime),
      ])
    }

    let diverged = recorder.divergedClients.union(recorder.clientsWithNonFiniteEvaluation)
    var summary: [String: Double] = [
      "clients": Double(s.clients), "rounds": Double(result.rounds.count), "simulated_time": result.simulatedTime,
      "wall_time_s": Date().timeIntervalSince(start), "clients_with_state": Double(result.clientsWithState),
      "failed_rounds": Double(recorder.failedRounds), "diverged_clients": Double(diverged.count),
      "evaluated_clients": Double(evaluated.count), "setup_wall_s": setupSeconds,
      "departed_clients": Double(
        s.devices.departure == nil
          ? 0 : (0..<s.clients).filter { (s.devices.departureTime(client: $0, seed: s.seed) ?? .infinity) <= result.simulatedTime }.count),
      "non_finite_updates": Double(recorder.nonFiniteUpdates), "non_finite_aggregates": Double(recorder.nonFiniteAggregates),
      "adversarial_clients": Double(federation.adversaries.count),
    ]
    // The honest clients' final validation loss: what a robust rule protects.
    if s.adversaries != nil, let last = recorder.lastEvaluations["validation"] {
      let honest = last.keys.sorted().filter { !federation.adversaries.contains($0) }.compactMap { last[$0] }
      if let loss = SplitMeans(honest, languageModel: false).loss { summary["final_mean_val_loss_honest"] = loss }
    }
    for split in ["validation", "test", "train"] {
      guard let means = recorder.finalMeans(split, languageModel: languageModel) else { continue }
      let short = split == "validation" ? "val" : split == "train" ? "train_eval" : split
      summary["final_mean_\(short)_loss"] = means.loss ?? .nan
      if let perplexity = means.perplexity { summary["final_mean_\(short)_perplexity"] = perplexity }
      if let exp = means.expMeanLoss { summary["final_exp_mean_\(short)_loss"] = exp }
      if let accuracy = means.accuracy { summary["final_mean_\(split)_accuracy"] = accuracy }
    }
    // Synthetic sources: the entropy-rate floor of the test loss and each run's gap to it.
    if let floors = testLossFloor, let tested = recorder.lastEvaluations["test"], !tested.isEmpty {
      let clients = tested.keys.sorted()
      let floor = clients.map { floors[$0] }.reduce(0, +) / Double(clients.count)
      summary["test_loss_floor"] = floor
      if let loss = summary["final_mean_test_loss"] { summary["final_test_loss_gap"] = loss - floor }
    }
    // Routing of a mixture: the mean gate weight on generalists in the first and last layers.
    let shares = (recorder.lastEvaluations["validation"] ?? [:]).values.compactMap(\.generalistShare)
    if let layers = shares.first?.count, layers > 0 {
      summary["final_generalist_share_first_layer"] = shares.map { $0[0] }.reduce(0, +) / Double(shares.count)
      summary["final_generalist_share_last_layer"] = shares.map { $0[layers - 1] }.reduce(0, +) / Double(shares.count)
    }
    if let last = recorder.distances.last {
      summary["final_mean_sq_distance"] = last
      let tail = recorder.distances.suffix(s.evaluation.tail)
      summary["tail_mean_sq_distance"] = tail.reduce(0, +) / Double(tail.count)
    }
    if let privacy {
      summary["final_epsilon"] = recorder.lastEpsilons.compactMap { $0 }.max() ?? 0
      summary["sigma_cdp"] = privacy.sigmaCDP
      summary["sigma_cor"] = privacy.sigmaCor
      summary["clip"] = privacy.clip
      summary["delta"] = privacy.delta
    }
    let blas = BLASKernelSelection.current
    summary["sgemm_gflops"] = blas.sgemmGFLOPs
    let everyRoundFailed = recorder.roundsRecorded > 0 && recorder.failedRounds == recorder.roundsRecorded
    let status: RunStatus = everyRoundFailed ? .failed : diverged.isEmpty ? .completed : .diverged
    summary["diverged"] = status == .completed ? 0 : 1
    let adapters: [Adapter]
    if s.output.saveAdapters, let lora = learner as? LoRALearner {
      adapters = (0..<s.clients).map { lora.adapter(federation.currentValues(of: $0), client: $0) }
    } else {
      adapters = []
    }
    let lastValidation = recorder.lastEvaluations["validation"] ?? [:]
    // Every client of a population up to 100,000; above, those that took part or were evaluated.
    let rows =
      s.clients <= 100_000
      ? Array(0..<s.clients) : Set(federation.clients.keys).union(evaluated).sorted()
    // Which accountant spent ε, for private runs only.
    let privacyLabels = federation.privacy == nil ? [:] : ["privacy_accountant": (s.privacy?.accountant ?? .rdp).rawValue]
    try writer.finish(
      summary: summary, status: status,
      labels: [
        "blas_kernel": blas.kernel, "blas_kernel_source": blas.source.rawValue, "blas_kernel_reason": blas.reason,
        "openblas": blas.openblas,
        "cpu": blas.cpu, "cpu_features": blas.features,
      ].merging(privacyLabels) { $1 },
      name: s.name, traceHash: result.trace.hexDigest, scenarioText: scenarioText, resolved: s,
      overrides: overrides,
      clients: rows.map { client in
        [
          String(client), String(sizes(client).train), String(sizes(client).validation),
          String(federation.clients[client]?.participations ?? 0), String(federation.clients[client]?.rejections ?? 0),
          lastValidation[client].map { finiteText($0.loss) } ?? "",
          recorder.lastEpsilons.indices.contains(client) ? recorder.lastEpsilons[client].map { String($0) } ?? "" : "",
        ]
      },
      trace: s.output.writeTrace ? result.trace.jsonLines() : nil, adapters: adapters)
    // A finished run needs no checkpoint: its folder holds only the results.
    for name in ["checkpoint", "partial.json"] { try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name)) }
    do { try FileManager.default.moveItem(at: temporary, to: output) } catch {
      throw .output(path: output.path, reason: "could not move the finished run into place: \(error.localizedDescription)")
    }
    if everyRoundFailed {
      throw .failed(
        reason: "all \(recorder.failedRounds) rounds failed: no round aggregated any report (see the failed-round lines above)",
        directory: output.path)
    }
    return summary
  }
}

extension Runner {
  /// Says in the unfinished run's folder (`<output>.partial`) why it stopped and after how many
  /// rounds, and returns the error to throw.
  func keepPartial(_ temporary: URL, writer: MetricsWriter, rounds: Int, cause: RunError) -> RunError {
    writer.close()
    let reason: String
    if case .interrupted = cause { reason = "interrupted (SIGINT or SIGTERM)" } else { reason = cause.description }
    let resumable = FileManager.default.fileExists(
      atPath: temporary.appendingPathComponent("checkpoint").appendingPathComponent(CheckpointFile.latestName).path)
    try? writeNote(temporary, status: cause.isInterruption ? "interrupted" : "failed", reason: reason, rounds: rounds, resumable: resumable)
    if case .interrupted = cause { return .interrupted(directory: temporary.path, resumable: resumable) }
    return cause
  }

  /// partial.json: the state of an unfinished run's folder, for people and for `--resume`.
  func writeNote(_ directory: URL, status: String, reason: String, rounds: Int, resumable: Bool) throws {
    var fields = [
      "  \"status\": \(jsonString(status))", "  \"reason\": \(jsonString(reason))", "  \"rounds_completed\": \(rounds)",
      "  \"resumable\": \(resumable)", "  \"pid\": \(ProcessInfo.processInfo.processIdentifier)",
    ]
    if resumable { fields.append("  \"resume\": \(jsonString("fedsim run --resume \(directory.path)"))") }
    try ("{\n" + fields.joined(separator: ",\n") + "\n}\n").write(
      to: directory.appendingPathComponent("partial.json"), atomically: true, encoding: .utf8)
  }

  /// The start of a run's folder: partial.json ("running") and the scenario as given.
  func writeStartNote(_ directory: URL) throws(RunError) {
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try writeNote(directory, status: "running", reason: "started", rounds: 0, resumable: false)
      try scenarioText.write(to: directory.appendingPathComponent("scenario.yaml"), atomically: true, encoding: .utf8)
    } catch { throw .output(path: directory.path, reason: error.localizedDescription) }
  }
}

/// Whether the user asked the run to stop (SIGINT/SIGTERM): the simulation stops after the event
/// in progress, and the run's folder is kept as `<output>.partial`.
public enum RunInterruption {
  private static let flag = InterruptionFlag()

  public static var requested: Bool { flag.value }

  /// Set from a signal handler (it only stores a flag).
  public static func request() { flag.set() }
}

final class InterruptionFlag: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var raised = false
  var value: Bool {
    lock.lock()
    defer { lock.unlock() }
    return raised
  }
  func set() {
    lock.lock()
    raised = true
    lock.unlock()
  }
}

/// How a run ended, as summary.json states it.
public enum RunStatus: String, Sendable {
  /// Every round's values were finite.
  case completed
  /// The run completed, but some client's values were non-finite at some point (see
  /// `diverged_clients`, `non_finite_updates`): its means are not comparable with a clean run's.
  case diverged
  /// Every round failed (no report was aggregated): the run has no result.
  case failed
}

/// A number for a CSV cell: `nan`, `inf` and `-inf` spelled as pandas reads them.
func finiteText(_ value: Double) -> String {
  value.isNaN ? "nan" : value.isInfinite ? (value > 0 ? "inf" : "-inf") : String(value)
}

extension Runner {
  /// The clients evaluated in every evaluation: all of them, or a fixed sample (ascending ids)
  /// drawn once from the run's seed (Floyd's algorithm: O(sample) time and memory).
  static func evaluatedClients(_ s: Scenario) -> [Int] {
    guard case .sampled(let count) = s.evaluation.clients, count < s.clients else { return Array(0..<s.clients) }
    var stream = RandomStream(seed: s.seed, purpose: StreamPurpose("evaluation-sample"))
    var chosen = Set<Int>()
    for j in (s.clients - count)..<s.clients {
      let t = stream.nextInt(below: j + 1)
      chosen.insert(chosen.contains(t) ? j : t)
    }
    return chosen.sorted()
  }
}

func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
