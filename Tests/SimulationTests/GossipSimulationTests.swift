import Foundation
import Graphs
import Testing

@testable import Simulation

/// Nodes hold a vector; local work optionally pulls it towards a node-specific target; mixing is
/// the weighted sum. With no local pull, gossip is pure averaging.
final class AveragingTask: DecentralizedTask, @unchecked Sendable {
  // @unchecked Sendable: `observed` is written only on the simulator thread.
  typealias Message = [Double]
  typealias NodeState = [Double]
  let dimension: Int
  let pull: Double
  var observed: [[[Double]]] = []

  init(dimension: Int = 4, pull: Double = 0) {
    self.dimension = dimension
    self.pull = pull
  }

  func makeNodeState(for node: ClientID) -> [Double] { (0..<dimension).map { cos(Double(node * 7 + $0)) * Double(node + 1) } }
  func serializedBytes(of message: [Double]) -> Int { message.count * 4 }
  func localWorkFLOPs(node: ClientID, state: [Double]) -> Double { 1e9 }
  func localWork(node: ClientID, state: inout [Double], round: Int, worker: Int) -> LocalReport<[Double]> {
    for i in state.indices { state[i] -= pull * (state[i] - Double(node)) }
    return LocalReport(message: state, weight: 1)
  }
  func combine(
    node: ClientID, state: inout [Double], own: [Double], selfWeight: Double, neighbours: [WeightedMessage<[Double]>],
    round: Int, worker: Int
  ) {
    state = own.map { $0 * selfWeight }
    for neighbour in neighbours {
      for i in state.indices { state[i] += neighbour.weight * neighbour.message[i] }
    }
  }
  func observe(round: Int, time: SimulatedTime, states: [[Double]]) { observed.append(states) }

  static func consensusDistance(_ states: [[Double]]) -> Double {
    let n = Double(states.count)
    let mean = (0..<states[0].count).map { i in states.reduce(0) { $0 + $1[i] } / n }
    return states.reduce(0) { total, x in total + zip(x, mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }.squareRoot()
  }
}

@Suite struct GossipSimulationTests {
  func run(_ graph: Graph, rounds: Int, settings: SimulationSettings? = nil) throws -> (AveragingTask, SimulationResult) {
    let task = AveragingTask()
    let result = try GossipSimulation(
      task: task, settings: settings ?? SimulationSettings(clients: graph.nodeCount), graph: graph,
      schedule: .synchronous(rounds: rounds, deadline: nil)
    ).run()
    return (task, result)
  }

  @Test func averagingPreservesTheMeanAndContractsAtTheSpectralRate() throws {
    for graph in [try Graph.ring(n: 16), try Graph.torus(rows: 4, columns: 4)] {
      let (task, _) = try run(graph, rounds: 60)
      let initial = (0..<16).map { AveragingTask().makeNodeState(for: $0) }
      let mean0 = (0..<4).map { i in initial.reduce(0) { $0 + $1[i] } / 16 }
      let final = task.observed.last!
      let mean = (0..<4).map { i in final.reduce(0) { $0 + $1[i] } / 16 }
      for i in 0..<4 { #expect(abs(mean[i] - mean0[i]) < 1e-12) }
      // Late in the run the distance shrinks by the second-largest eigenvalue modulus per round.
      let slem = try MixingWeights(graph: graph, rule: .metropolisHastings).secondLargestEigenvalueModulus()
      let d50 = AveragingTask.consensusDistance(task.observed[49]), d59 = AveragingTask.consensusDistance(task.observed[58])
      let rate = pow(d59 / d50, 1.0 / 9)
      #expect(abs(rate - slem) < 1e-3 * slem)
    }
  }

  @Test func synchronousRoundTimeIsExact() throws {
    // 1 GFLOP at 2 GFLOP/s, then 16-byte messages at 1 kB/s with 0.1 s latency: 0.5 + 0.116.
    let link = LinkModel(latency: .constant(0.1), bandwidth: .constant(1000))
    let settings = SimulationSettings(clients: 8, devices: DeviceModel(speed: .constant(2e9)), network: NetworkModel(peer: link))
    let (_, result) = try run(try Graph.ring(n: 8), rounds: 3, settings: settings)
    #expect(abs(result.rounds[0].endTime - 0.616) < 1e-12)
    #expect(abs(result.simulatedTime - 3 * 0.616) < 1e-9)
    #expect(result.rounds[0].bytesUp == 8 * 2 * 16)
  }

  @Test func lossesKeepRowsStochastic() throws {
    let settings = SimulationSettings(clients: 16, seed: 3, network: NetworkModel(peer: LinkModel(lossProbability: 0.3)))
    let (task, result) = try run(try Graph.ring(n: 16), rounds: 20, settings: settings)
    #expect(result.rounds.reduce(0) { $0 + $1.lostMessages } > 0)
    // Every value stays inside the initial range (a convex combination each round).
    let initial = (0..<16).flatMap { AveragingTask().makeNodeState(for: $0) }
    let (low, high) = (initial.min()!, initial.max()!)
    #expect(task.observed.last!.allSatisfy { $0.allSatisfy { $0 >= low - 1e-12 && $0 <= high + 1e-12 } })
  }

  @Test func asynchronousGossipIsDeterministicAndRecordsStaleness() throws {
    func run(workers: Int) throws -> (UInt64, [[Double]], SimulationResult) {
      let task = AveragingTask(pull: 0.1)
      let settings = SimulationSettings(
        clients: 12, seed: 4, workers: workers,
        devices: DeviceModel(speed: .logNormal(median: 1e9, sigma: 0.6)))
      let result = try GossipSimulation(
        task: task, settings: settings, graph: try Graph.ring(n: 12),
        schedule: .asynchronous(iterations: 15)
      ).run()
      return (result.trace.hash, task.observed.last!, result)
    }
    let (hash1, states1, result) = try run(workers: 1)
    let (hash2, states2, _) = try run(workers: 2)
    #expect(hash1 == hash2 && states1 == states2)
    #expect(result.rounds.count == 15)
    #expect(result.rounds.contains { $0.maxStaleness > 0 })
    #expect(result.rounds.allSatisfy { $0.aggregatedReports == 12 })
  }

  @Test func topologyMustMatchThePopulation() {
    #expect(throws: SimulationError.self) {
      try GossipSimulation(
        task: AveragingTask(), settings: SimulationSettings(clients: 5), graph: try Graph.ring(n: 6),
        schedule: .synchronous(rounds: 1, deadline: nil))
    }
  }
}

@Suite struct TimeVaryingAndAvailabilityTests {
  @Test func timeVaryingTopologyAppliesEachRoundsMixingMatrix() throws {
    // The undirected one-peer exponential graph on 8 nodes: round r joins i and i ± 2^(r mod 3).
    let task = AveragingTask(dimension: 1)
    let graphs = try (0..<4).map { try Graph.onePeerExponential(n: 8, round: $0) }
    let simulation = try GossipSimulation(
      task: task, settings: SimulationSettings(clients: 8),
      graphForRound: { round throws(GraphError) in try Graph.onePeerExponential(n: 8, round: round) },
      schedule: .synchronous(rounds: 4, deadline: nil))
    _ = try simulation.run()
    // Reference: x ← W_r x with each round's Metropolis–Hastings matrix.
    var x = (0..<8).map { AveragingTask(dimension: 1).makeNodeState(for: $0)[0] }
    for (round, graph) in graphs.enumerated() {
      x = MixingWeights(graph: graph, rule: .metropolisHastings).multiply(x)
      let simulated = task.observed[round].map { $0[0] }
      for i in 0..<8 { #expect(abs(simulated[i] - x[i]) < 1e-12) }
    }
    #expect(graphs[0] != graphs[1])
  }

  @Test func clientsLeavingMidWorkNeverReport() throws {
    // Client 0 is online for 1 s but needs 2 s of compute; client 1 is always online.
    let intervals: [[Availability.ClosedInterval]] = [[.init(start: 0, end: 1)], [.init(start: 0, end: 1000)]]
    let task = MeanTask(flops: { _ in 2e9 })
    let settings = SimulationSettings(
      clients: 2, devices: DeviceModel(speed: .constant(1e9), availability: .intervals(intervals)),
      keepsTrace: true)
    let result = try ServerSimulation(
      task: task, settings: settings,
      mode: .synchronous(SynchronousRounds(rounds: 1, clientsPerRound: 2))
    ).run()
    #expect(result.rounds[0].aggregatedReports == 1 && result.rounds[0].dropouts == 1)
    #expect(task.aggregations[0].clients == [1])
    #expect(result.trace.records.contains { $0.kind == "offline" && $0.client == 0 })
  }

  @Test func devicesWithTooLittleMemoryAreNeverSelected() throws {
    final class HungryTask: FederatedTask, @unchecked Sendable {
      let inner = MeanTask()
      func makeClientState(for client: ClientID) -> MeanTask.ClientState { inner.makeClientState(for: client) }
      func serializedBytes(of message: [Double]) -> Int { 8 }
      func localWorkFLOPs(client: ClientID, state: MeanTask.ClientState) -> Double { 1e9 }
      func requiredMemoryBytes(client: ClientID) -> Double { 2e9 }
      func serverMessage() -> [Double] { inner.model }
      func localWork(client: ClientID, state: inout MeanTask.ClientState, received: [Double], round: Int, worker: Int) -> LocalReport<
        [Double]
      > {
        inner.localWork(client: client, state: &state, received: received, round: round, worker: worker)
      }
      func aggregate(reports: [ArrivedReport<[Double]>], round: Int, time: SimulatedTime) {
        inner.aggregate(reports: reports, round: round, time: time)
      }
    }
    // Even clients have 4 GB, odd ones 1 GB.
    let task = HungryTask()
    let settings = SimulationSettings(clients: 10, devices: DeviceModel(memory: .values([4e9, 1e9])))
    _ = try ServerSimulation(task: task, settings: settings, mode: .synchronous(SynchronousRounds(rounds: 4, clientsPerRound: 5))).run()
    #expect(task.inner.aggregations.allSatisfy { $0.clients.allSatisfy { $0 % 2 == 0 } && $0.clients.count == 5 })
  }
}

/// A task with a setup phase (a key exchange) and rounds without exchange.
final class SetupTask: DecentralizedTask, @unchecked Sendable {
  // @unchecked Sendable: `heard` is written only on the simulator thread.
  typealias Message = [Double]
  typealias NodeState = [Double]
  var heard: [Set<ClientID>]
  let exchangeEvery: Int

  init(nodes: Int, exchangeEvery: Int = 1) {
    heard = Array(repeating: [], count: nodes)
    self.exchangeEvery = exchangeEvery
  }

  func makeNodeState(for node: ClientID) -> [Double] { [Double(node)] }
  func serializedBytes(of message: [Double]) -> Int { 8 }
  func localWorkFLOPs(node: ClientID, state: [Double]) -> Double { 1e9 }
  func localWork(node: ClientID, state: inout [Double], round: Int, worker: Int) -> LocalReport<[Double]> {
    LocalReport(message: state, weight: 1)
  }
  func combine(
    node: ClientID, state: inout [Double], own: [Double], selfWeight: Double, neighbours: [WeightedMessage<[Double]>],
    round: Int, worker: Int
  ) {
    state = [own[0] * selfWeight + neighbours.reduce(0) { $0 + $1.weight * $1.message[0] }]
  }
  func exchanges(round: Int) -> Bool { round % exchangeEvery == exchangeEvery - 1 }
  func setupMessage(node: ClientID) -> [UInt8]? { [UInt8](repeating: UInt8(node), count: 32) }
  func receiveSetup(node: ClientID, from peer: ClientID, message: [UInt8]) {
    precondition(message == [UInt8](repeating: UInt8(peer), count: 32))
    heard[node].insert(peer)
  }
}

@Suite struct SetupPhaseTests {
  @Test func setupMessagesReachEveryNeighbourDespiteLossesBeforeRoundOne() throws {
    let link = LinkModel(latency: .constant(0.1), bandwidth: .constant(1000), lossProbability: 0.3)
    let settings = SimulationSettings(clients: 8, seed: 2, devices: DeviceModel(speed: .constant(1e9)), network: NetworkModel(peer: link))
    let task = SetupTask(nodes: 8)
    let result = try GossipSimulation(
      task: task, settings: settings, graph: try Graph.ring(n: 8), schedule: .synchronous(rounds: 2, deadline: nil)
    )
    .run()
    let setup = try #require(result.setup)
    #expect(setup.messages == 16)
    #expect(setup.retransmissions > 0)
    #expect(setup.bytes == 32 * (16 + setup.retransmissions))
    #expect(task.heard.enumerated().allSatisfy { node, peers in peers == [(node + 1) % 8, (node + 7) % 8] })
    // A message takes 0.132 s; a lost one is resent after 0.264 s: the first round starts after the last arrival.
    #expect(setup.endTime >= 0.132 && result.rounds[0].startTime == setup.endTime)
  }

  @Test func roundsWithoutExchangeSendNothingAndKeepStates() throws {
    let settings = SimulationSettings(clients: 4, network: NetworkModel(peer: LinkModel()))
    let task = SetupTask(nodes: 4, exchangeEvery: 2)
    let result = try GossipSimulation(
      task: task, settings: settings, graph: try Graph.complete(n: 4), schedule: .synchronous(rounds: 4, deadline: nil)
    )
    .run()
    #expect(result.rounds.map(\.bytesUp) == [0, 96, 0, 96])
    #expect(result.rounds.map(\.aggregated) == [false, true, false, true])
  }
}
