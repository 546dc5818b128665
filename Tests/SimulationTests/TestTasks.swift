import Foundation

@testable import Simulation

/// A tiny federated task: each client holds a vector; local work takes a few gradient steps of
/// ½‖x − target_c‖² from the server model, the server averages (weighted). Enough arithmetic for
/// worker-count determinism to mean something, and fully known timing.
final class MeanTask: FederatedTask, @unchecked Sendable {
  // @unchecked Sendable: `model` and `aggregations` are touched only on the simulator thread.
  typealias Message = [Double]
  struct ClientState: Sendable {
    var target: [Double]
    var participations = 0
  }

  let dimension: Int
  let flops: (ClientID) -> Double
  let bytesPerValue: Int
  var model: [Double]
  var aggregations: [(round: Int, clients: [ClientID], staleness: [Int])] = []

  init(dimension: Int = 8, bytesPerValue: Int = 8, flops: @escaping (ClientID) -> Double = { _ in 1e9 }) {
    self.dimension = dimension
    self.bytesPerValue = bytesPerValue
    self.flops = flops
    model = [Double](repeating: 0, count: dimension)
  }

  func makeClientState(for client: ClientID) -> ClientState {
    ClientState(target: (0..<dimension).map { sin(Double(client * dimension + $0)) })
  }

  func serializedBytes(of message: [Double]) -> Int { message.count * bytesPerValue }
  func localWorkFLOPs(client: ClientID, state: ClientState) -> Double { flops(client) }
  func serverMessage() -> [Double] { model }

  func localWork(client: ClientID, state: inout ClientState, received: [Double], round: Int, worker: Int) -> LocalReport<[Double]> {
    var x = received
    for _ in 0..<5 {
      for i in x.indices { x[i] -= 0.3 * (x[i] - state.target[i]) }
    }
    state.participations += 1
    let loss = zip(x, state.target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 2
    return LocalReport(message: x, weight: Double(1 + client % 3), metrics: ["loss": loss])
  }

  func aggregate(reports: [ArrivedReport<[Double]>], round: Int, time: SimulatedTime) {
    var sum = [Double](repeating: 0, count: dimension)
    var total = 0.0
    for arrived in reports {
      for i in sum.indices { sum[i] += arrived.report.weight * arrived.report.message[i] }
      total += arrived.report.weight
    }
    model = sum.map { $0 / total }
    aggregations.append((round, reports.map(\.client), reports.map(\.staleness)))
  }
}

/// `MeanTask` that folds replies into a running sum as they arrive and holds none of them.
final class StreamingMeanTask: FederatedTask, @unchecked Sendable {
  // @unchecked Sendable: the sums are touched only on the simulator thread.
  typealias Message = [Double]
  typealias ClientState = MeanTask.ClientState
  let inner = MeanTask()
  var sums: [Int: (sum: [Double], weight: Double)] = [:]
  var largestBatchHeld = 0

  var streamsReports: Bool { true }
  func makeClientState(for client: ClientID) -> ClientState { inner.makeClientState(for: client) }
  func serializedBytes(of message: [Double]) -> Int { inner.serializedBytes(of: message) }
  func localWorkFLOPs(client: ClientID, state: ClientState) -> Double { inner.localWorkFLOPs(client: client, state: state) }
  func serverMessage() -> [Double] { inner.model }
  func localWork(client: ClientID, state: inout ClientState, received: [Double], round: Int, worker: Int) -> LocalReport<[Double]> {
    inner.localWork(client: client, state: &state, received: received, round: round, worker: worker)
  }
  func accept(_ report: ArrivedReport<[Double]>, round: Int) {
    var entry = sums[round] ?? ([Double](repeating: 0, count: inner.dimension), 0)
    for i in entry.sum.indices { entry.sum[i] += report.report.weight * report.report.message[i] }
    entry.weight += report.report.weight
    sums[round] = entry
  }
  func aggregate(reports: [ArrivedReport<[Double]>], round: Int, time: SimulatedTime) {
    largestBatchHeld = max(largestBatchHeld, reports.count)
    guard let entry = sums.removeValue(forKey: round) else { return }
    inner.model = entry.sum.map { $0 / entry.weight }
  }
}
