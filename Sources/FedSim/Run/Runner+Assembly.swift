import Aggregation
import Foundation
import Graphs
import Learning
import Simulation

// What a run and an audit both build from a scenario: the learner and the simulation.

extension Runner {
  /// The simulation of scenario `s` for `federation`: server rounds (synchronous or buffered
  /// asynchronous) or gossip over the fixed graph or the round's graph.
  static func simulation<L: LocalLearner>(
    for s: Scenario, federation: Federation<L>, settings: SimulationSettings, fixedGraph: Graph?
  ) throws(RunError) -> (server: ServerSimulation<Federation<L>>?, gossip: GossipSimulation<Federation<L>>?) {
    var serverSimulation: ServerSimulation<Federation<L>>?
    var gossipSimulation: GossipSimulation<Federation<L>>?
    do {
      switch s.schedule.mode {
      case .gossip, .asynchronousGossip:
        let schedule: GossipSchedule =
          s.schedule.mode == .gossip
          ? .synchronous(rounds: s.schedule.rounds, deadline: s.schedule.deadline) : .asynchronous(iterations: s.schedule.rounds)
        let rule = TopologyBuilder.mixing(s.topology.mixing)
        if let fixedGraph {
          gossipSimulation = try GossipSimulation(task: federation, settings: settings, graph: fixedGraph, mixing: rule, schedule: schedule)
        } else {
          let topology = s.topology, clients = s.clients, seed = s.seed
          _ = try TopologyBuilder.graph(topology, clients: clients, seed: seed)  // fail early on a bad topology
          gossipSimulation = try GossipSimulation(
            task: federation, settings: settings,
            graphForRound: { round throws(GraphError) in
              do { return try TopologyBuilder.graph(topology, clients: clients, seed: seed, round: round) } catch {
                throw GraphError.invalidParameter(generator: topology.kind, parameter: "round", value: "\(round)", expected: "\(error)")
              }
            }, mixing: rule, schedule: schedule)
        }
      case .bufferedAsynchronous:
        serverSimulation = try ServerSimulation(
          task: federation, settings: settings,
          mode: .bufferedAsynchronous(
            BufferedAsynchronous(
              serverUpdates: s.schedule.rounds, concurrency: s.schedule.concurrency, bufferSize: s.schedule.bufferSize,
              maxStaleness: s.schedule.maxStaleness)))
      case .synchronous:
        serverSimulation = try ServerSimulation(
          task: federation, settings: settings,
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
    return (serverSimulation, gossipSimulation)
  }
}

extension Runner {
  /// The LoRA learner of a language-model scenario (its data and base model; the base is
  /// pretrained into `cacheDirectory` when not cached).
  static func languageModelLearner(
    for s: Scenario, cacheDirectory: URL, workers: Int, log: (String) -> Void, holds: (Int) -> Bool = { _ in true }
  ) throws(RunError) -> (LoRALearner, ClientData) {
    guard !s.data.source.isConvex else {
      throw .invalid(field: "data.source.kind", value: "convex", reason: "task lora-lm needs text (markov, text-dir, jsonl, fortune)")
    }
    let data = try ClientData.build(s.data, clients: s.clients, seed: s.seed, holds: holds)
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
    let learner = LoRALearner(
      model: model, weights: weights, lora: s.model.lora, data: data, schedule: s.schedule, seed: s.seed, workers: workers,
      perExample: s.privacy?.level == .example, expertsPerClient: s.model.expertsPerClient)
    return (learner, data)
  }

  /// The learner of a convex scenario (`eager`: every client's data generated at start).
  static func convexLearner(for s: Scenario, eager: Bool) throws(RunError) -> ConvexLearner {
    let expected = s.task == .linearRegression ? "decor-quadratic or linear" : "logistic"
    switch (s.task, s.data.source) {
    case (.linearRegression, .decorQuadratic), (.linearRegression, .linear), (.logisticRegression, .logistic): break
    default:
      throw .invalid(field: "data.source.kind", value: "\(s.data.source)", reason: "task \(s.task.rawValue) needs \(expected) data")
    }
    let learner = try ConvexLearner(
      source: s.data.source, data: s.data, clients: s.clients, schedule: s.schedule, initialValue: s.model.convexInit, seed: s.seed,
      eager: eager)
    return learner
  }
}

extension Runner {
  /// The fixed communication graph (nil for server schedules and time-varying topologies), the
  /// aggregator asked whether it accepts the run, and the privacy plan (noise levels calibrated).
  static func prepare<L: LocalLearner>(
    _ s: Scenario, learner: L, aggregator: any Aggregator
  ) throws(RunError) -> (fixedGraph: Graph?, privacy: PrivacyPlan?) {
    let decentralized = s.schedule.mode == .gossip || s.schedule.mode == .asynchronousGossip
    let varies = TopologyBuilder.varies(s.topology) && s.schedule.mode == .gossip
    let fixedGraph: Graph? = decentralized && !varies ? try TopologyBuilder.graph(s.topology, clients: s.clients, seed: s.seed) : nil
    // ScenarioDecoder already asked the aggregator; a scenario changed since is asked again here.
    do { try aggregator.validate(s.aggregationSetup(graph: fixedGraph)) } catch {
      throw .invalid(field: "aggregator.options.\(error.option)", value: error.value, reason: error.description)
    }
    let privacy = try PrivacyPlan.make(
      s.privacy, mechanism: aggregator.privacy, aggregator: s.aggregator.name, graph: fixedGraph, clients: s.clients,
      rounds: s.schedule.rounds, localSteps: learner.localSteps, batchSize: learner.batchSize,
      examples: (0..<s.clients).map { learner.exampleCount(client: $0) }, seed: s.seed)
    return (fixedGraph, privacy)
  }
}
