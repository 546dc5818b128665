import Aggregation
import Foundation
import Graphs
import Learning
import Simulation

/// What a run reports as it goes (the CLI turns it into a progress line or log lines).
public struct RoundProgress: Sendable {
  public let round: Int
  public let rounds: Int
  public let simulatedTime: Double
  public let meanTrainLoss: Double
  public let meanValidationLoss: Double?
  public let bytesSent: Int
  public let wallSeconds: Double
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
  public let output: URL
  public let cacheDirectory: URL

  public init(scenario: Scenario, scenarioText: String, overrides: [String], workers: Int, output: URL, cacheDirectory: URL) {
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
    guard s.task == .loraLM else {
      throw .unsupported(field: "task", value: s.task.rawValue, reason: "fedsim run drives the LoRA language-model task for now")
    }
    if FileManager.default.fileExists(atPath: output.path) {
      throw .output(path: output.path, reason: "already exists; choose another --out (runs are never overwritten)")
    }
    let start = Date()
    let data = try ClientData.build(s.data, clients: s.clients, seed: s.seed)
    if let rates = data.entropyRates {
      log(
        "data: \(data.domainNames.count) Markov domains, entropy rates \(rates.map { String(format: "%.3f", $0) }.joined(separator: ", ")) nats/symbol (the loss floor)"
      )
    }
    do { try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true) } catch {
      throw .output(path: cacheDirectory.path, reason: error.localizedDescription)
    }
    let (config, weights) = try BaseModel.prepare(
      s.model, publicTokens: data.publicTokens, seed: s.seed, cacheDirectory: cacheDirectory, log: log)
    let model: DecoderLM
    do { model = try DecoderLM(config: config) } catch { throw .model(error.description) }
    let aggregator: any Aggregator
    do { aggregator = try AggregatorRegistry.shared.make(s.aggregator.name, options: s.aggregator.options) } catch {
      throw .unsupported(field: "aggregator", value: s.aggregator.name, reason: error.description)
    }
    let decentralized = s.schedule.mode == .gossip || s.schedule.mode == .asynchronousGossip
    if decentralized != (aggregator.communication == .neighbours) && aggregator.communication != .none {
      throw .unsupported(
        field: "aggregator.name", value: s.aggregator.name,
        reason: decentralized
          ? "schedule.mode \(s.schedule.mode.rawValue) needs an aggregator that exchanges with neighbours (e.g. gossip)"
          : "aggregator \(s.aggregator.name) exchanges with neighbours: use schedule.mode gossip or async-gossip")
    }
    let task = LoRAFederatedTask(
      model: model, weights: weights, lora: s.model.lora, data: data, schedule: s.schedule,
      aggregator: aggregator, seed: s.seed, workers: workers)
    let settings = SimulationSettings(
      clients: s.clients, seed: s.seed, workers: workers, devices: s.devices, network: s.network,
      keepsTrace: s.output.writeTrace)
    let gossipTask = LoRAGossipTask(local: task)
    var serverSimulation: ServerSimulation<LoRAFederatedTask>?
    var gossipSimulation: GossipSimulation<LoRAGossipTask>?
    do {
      switch s.schedule.mode {
      case .gossip, .asynchronousGossip:
        let schedule: GossipSchedule =
          s.schedule.mode == .gossip
          ? .synchronous(rounds: s.schedule.rounds, deadline: s.schedule.deadline) : .asynchronous(iterations: s.schedule.rounds)
        let rule = TopologyBuilder.mixing(s.topology.mixing)
        if TopologyBuilder.varies(s.topology) && s.schedule.mode == .gossip {
          let topology = s.topology, clients = s.clients, seed = s.seed
          _ = try TopologyBuilder.graph(topology, clients: clients, seed: seed)  // fail early on a bad topology
          gossipSimulation = try GossipSimulation(
            task: gossipTask, settings: settings,
            graphForRound: { round throws(GraphError) in
              do { return try TopologyBuilder.graph(topology, clients: clients, seed: seed, round: round) } catch {
                throw GraphError.invalidParameter(generator: topology.kind, parameter: "round", value: "\(round)", expected: "\(error)")
              }
            }, mixing: rule, schedule: schedule)
        } else {
          gossipSimulation = try GossipSimulation(
            task: gossipTask, settings: settings, graph: try TopologyBuilder.graph(s.topology, clients: s.clients, seed: s.seed),
            mixing: rule, schedule: schedule)
        }
      case .bufferedAsynchronous:
        serverSimulation = try ServerSimulation(
          task: task, settings: settings,
          mode: .bufferedAsynchronous(
            BufferedAsynchronous(
              serverUpdates: s.schedule.rounds, concurrency: s.schedule.concurrency, bufferSize: s.schedule.bufferSize,
              maxStaleness: s.schedule.maxStaleness)))
      case .synchronous:
        serverSimulation = try ServerSimulation(
          task: task, settings: settings,
          mode: .synchronous(
            SynchronousRounds(
              rounds: s.schedule.rounds, clientsPerRound: s.schedule.clientsPerRound, overSelection: s.schedule.overSelection,
              deadline: s.schedule.deadline, minimumReports: s.schedule.minimumReports)))
      }
    } catch let error as RunError {
      throw error
    } catch {
      throw .simulation("\(error)")
    }

    let temporary = output.deletingLastPathComponent().appendingPathComponent(
      ".\(output.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
    let writer = try MetricsWriter(directory: temporary)
    let evaluator = Evaluator(task: task, data: data, workers: workers)
    var bytes = 0
    var lastValidation: [Double] = []
    let onRound: (RoundSummary) -> Void = { summary in
      bytes += summary.bytesUp + summary.bytesDown
      let isLast = summary.round + 1 == s.schedule.rounds
      var validation: Double? = nil
      var splitMeans: [String: Double] = [:]
      if (summary.round + 1) % s.evaluation.every == 0 || isLast {
        for split in s.evaluation.splits {
          let losses = evaluator.losses(split: split)
          if split == "validation" { lastValidation = losses.map(\.mean) }
          for (client, loss) in losses.enumerated() where loss.tokens > 0 {
            writer.line([
              "kind": .string("client_eval"), "round": .int(summary.round), "client": .int(client), "split": .string(split),
              "loss": .double(loss.mean), "perplexity": .double(loss.perplexity), "accuracy": .double(loss.accuracy),
              "tokens": .int(loss.tokens), "sim_time": .double(summary.endTime),
            ])
          }
          splitMeans[split] = mean(losses.filter { $0.tokens > 0 }.map(\.mean))
        }
        validation = splitMeans["validation"]
      }
      var record: [String: JSONValue] = [
        "kind": .string("round"), "round": .int(summary.round), "sim_time": .double(summary.endTime),
        "selected": .int(summary.selected), "reports": .int(summary.aggregatedReports), "dropouts": .int(summary.dropouts),
        "lost_messages": .int(summary.lostMessages), "discarded_reports": .int(summary.discardedReports),
        "bytes_up": .int(summary.bytesUp), "bytes_down": .int(summary.bytesDown), "aggregated": .bool(summary.aggregated),
        "mean_staleness": .double(summary.meanStaleness), "max_staleness": .int(summary.maxStaleness),
        "wall_time_s": .double(Date().timeIntervalSince(start)),
      ]
      if let train = summary.clientMetrics["train_loss"] { record["mean_train_loss"] = .double(train) }
      if decentralized { record["consensus_distance"] = .double(gossipTask.consensusDistance()) }
      if let test = splitMeans["test"] { record["mean_test_loss"] = .double(test) }
      if let train = splitMeans["train"] { record["mean_train_eval_loss"] = .double(train) }
      if let validation {
        record["mean_val_loss"] = .double(validation)
        record["mean_val_perplexity"] = .double(Foundation.exp(validation))
      }
      writer.line(record)
      progress(
        RoundProgress(
          round: summary.round, rounds: s.schedule.rounds, simulatedTime: summary.endTime,
          meanTrainLoss: summary.clientMetrics["train_loss"] ?? .nan, meanValidationLoss: validation,
          bytesSent: bytes, wallSeconds: Date().timeIntervalSince(start)))
    }
    let result: SimulationResult
    do {
      if let simulation = serverSimulation {
        simulation.onRound = onRound
        result = try simulation.run()
      } else if let simulation = gossipSimulation {
        simulation.onRound = onRound
        result = try simulation.run()
      } else {
        throw SimulationError.stalled(time: 0, reason: "no simulation was built")
      }
    } catch { throw .simulation("\(error)") }

    let finalValidation = mean(lastValidation.filter { !$0.isNaN }) ?? .nan
    let summary: [String: Double] = [
      "clients": Double(s.clients), "rounds": Double(result.rounds.count), "simulated_time": result.simulatedTime,
      "final_mean_val_loss": finalValidation, "final_mean_val_perplexity": Foundation.exp(finalValidation),
      "wall_time_s": Date().timeIntervalSince(start), "clients_with_state": Double(result.clientsWithState),
    ]
    try writer.finish(
      summary: summary, name: s.name, traceHash: result.trace.hexDigest, scenarioText: scenarioText, resolved: s, overrides: overrides,
      clients: (0..<s.clients).map { client in
        [
          String(client), String(data.train[client].count), String(data.validation[client].count),
          String(task.clients[client]?.participations ?? 0), lastValidation.indices.contains(client) ? String(lastValidation[client]) : "",
        ]
      },
      trace: s.output.writeTrace ? result.trace.jsonLines() : nil,
      adapters: s.output.saveAdapters ? (0..<s.clients).map { task.currentAdapter(of: $0) } : [])
    do { try FileManager.default.moveItem(at: temporary, to: output) } catch {
      throw .output(path: output.path, reason: "could not move the finished run into place: \(error.localizedDescription)")
    }
    return summary
  }
}

func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }

/// Each client's loss on one of its splits with the adapter it would use now, in parallel.
struct Evaluator {
  let task: LoRAFederatedTask
  let data: ClientData
  let workers: Int

  func losses(split: String) -> [LossSum] {
    let adapters = (0..<data.validation.count).map { task.currentAdapter(of: $0) }
    let model = task.model, weights = task.weights, length = task.sequenceLength
    let texts = split == "test" ? data.test : split == "train" ? data.train : data.validation
    return WorkerPool(workers: workers).map(Array(adapters.enumerated())) { item, _ in
      let windows = TokenWindows(tokens: texts[item.offset], length: length)
      return (try? evaluateLoss(model: model, weights: weights, adapter: item.element, windows: windows)) ?? LossSum()
    }
  }
}
