import Aggregation
import Learning
import Simulation

/// Decentralized LoRA fine-tuning: each node trains its own adapter (the same local steps as the
/// server-based task), shares it with its neighbours, and the aggregator combines them.
final class LoRAGossipTask: DecentralizedTask, @unchecked Sendable {
  // @unchecked Sendable: holds only the server-side task, itself safe for concurrent local work.
  typealias Message = [Float]
  typealias NodeState = LoRAClient

  let local: LoRAFederatedTask
  init(local: LoRAFederatedTask) { self.local = local }

  func makeNodeState(for node: ClientID) -> LoRAClient { local.makeClientState(for: node) }
  func serializedBytes(of message: [Float]) -> Int { local.serializedBytes(of: message) }
  func localWorkFLOPs(node: ClientID, state: LoRAClient) -> Double { local.localWorkFLOPs(client: node, state: state) }

  func localWork(node: ClientID, state: inout LoRAClient, round: Int, worker: Int) -> LocalReport<[Float]> {
    // The node starts from its own adapter: pass it as the "received" values.
    let own = state.adapter.parameters.storage.toArray()
    return local.localWork(client: node, state: &state, received: own, round: round, worker: worker)
  }

  func combine(
    node: ClientID, state: inout LoRAClient, own: [Float], selfWeight: Double, neighbours: [WeightedMessage<[Float]>],
    round: Int, worker: Int
  ) {
    let contributions = neighbours.map {
      (Contribution(client: $0.peer, values: $0.message, weight: 1, staleness: $0.staleness), $0.weight)
    }
    let mixed = local.aggregator.combine(
      own: own, selfWeight: selfWeight, neighbours: contributions,
      context: AggregationContext(round: round, seed: local.seed))
    mixed.withUnsafeBufferPointer { state.adapter.parameters.storage.pointer.update(from: $0.baseAddress!, count: mixed.count) }
  }

  /// Consensus distance √(Σ_i ‖x_i − x̄‖²) of the clients' adapters now.
  func consensusDistance() -> Double {
    let states = local.clients.keys.sorted().compactMap { local.clients[$0] }
    guard let first = states.first else { return 0 }
    let count = first.adapter.parameters.storage.count
    var mean = [Double](repeating: 0, count: count)
    for state in states {
      let p = state.adapter.parameters.storage.pointer
      for i in 0..<count { mean[i] += Double(p[i]) }
    }
    for i in 0..<count { mean[i] /= Double(states.count) }
    var total = 0.0
    for state in states {
      let p = state.adapter.parameters.storage.pointer
      for i in 0..<count { total += (Double(p[i]) - mean[i]) * (Double(p[i]) - mean[i]) }
    }
    return total.squareRoot()
  }
}
