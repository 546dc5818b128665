import ArgumentParser
import Foundation
import Learning
import Randomness
import Simulation

/// Federated averaging of least-squares models: the kernel benchmark's workload (and the
/// workload Flower, pfl-research and a bare numpy loop were timed on for comparison).
final class LinearRegressionFedAvg: FederatedTask, @unchecked Sendable {
  // @unchecked Sendable: `model` is written only in `aggregate`, on the simulator thread, while
  // no local work runs; local work reads only its own client's state.
  typealias Message = [Double]
  typealias ClientState = LinearRegressionData

  let samples: Int, dimension: Int, localSteps: Int, learningRate: Double, seed: UInt64
  let trueWeights: [Double]
  var model: [Double]

  init(samples: Int, dimension: Int, localSteps: Int, learningRate: Double, seed: UInt64) {
    self.samples = samples
    self.dimension = dimension
    self.localSteps = localSteps
    self.learningRate = learningRate
    self.seed = seed
    var stream = RandomStream(seed: seed, purpose: .weightInit)
    trueWeights = (0..<dimension).map { _ in stream.nextGaussian() }
    model = [Double](repeating: 0, count: dimension)
  }

  func makeClientState(for client: ClientID) -> LinearRegressionData {
    .synthetic(samples: samples, dimension: dimension, trueWeights: trueWeights, noise: 0.1, seed: seed, client: client)
  }

  func serializedBytes(of message: [Double]) -> Int { message.count * MemoryLayout<Double>.size }
  func localWorkFLOPs(client: ClientID, state: LinearRegressionData) -> Double { Double(localSteps) * state.gradientStepFLOPs }
  func serverMessage() -> [Double] { model }

  func localWork(client: ClientID, state: inout LinearRegressionData, received: [Double], round: Int, worker: Int)
    -> LocalReport<[Double]>
  {
    var w = received
    let loss = state.gradientDescent(&w, steps: localSteps, learningRate: learningRate)
    return LocalReport(message: w, weight: Double(state.samples), metrics: ["train_loss": loss])
  }

  func aggregate(reports: [ArrivedReport<[Double]>], round: Int, time: SimulatedTime) {
    var sum = [Double](repeating: 0, count: dimension)
    var total = 0.0
    for arrived in reports {
      let weight = arrived.report.weight
      arrived.report.message.withUnsafeBufferPointer { w in
        for i in 0..<dimension { sum[i] += weight * w[i] }
      }
      total += weight
    }
    model = sum.map { $0 / total }
  }
}

/// A task that does nothing, to time the kernel itself.
final class NoOpTask: FederatedTask, @unchecked Sendable {
  func makeClientState(for client: ClientID) -> Int { 0 }
  func serializedBytes(of message: Int) -> Int { 1000 }
  func localWorkFLOPs(client: ClientID, state: Int) -> Double { 1e9 * Double(1 + client % 10) }
  func serverMessage() -> Int { 0 }
  func localWork(client: ClientID, state: inout Int, received: Int, round: Int, worker: Int) -> LocalReport<Int> {
    LocalReport(message: 0, weight: 1)
  }
  func aggregate(reports: [ArrivedReport<Int>], round: Int, time: SimulatedTime) {}
}

/// Peak resident set size of this process, in bytes.
func peakResidentBytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) * 1024
}

struct KernelBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernel",
    abstract: "Simulation-kernel overhead: events/s, a 100-client linear-regression FedAvg workload, and population start-up.")

  @Option(help: "Rounds of the FedAvg workload.") var rounds: Int = 5
  @Option(help: "Worker threads.") var workers: Int = 1
  @Flag(help: "One JSON object with every figure.") var json = false

  func run() throws {
    BLAS.threads = 1
    var figures: [String: Double] = [:]

    // 1. Raw event queue, hold model: 1,000 pending events, 1,000,000 pops and pushes.
    var queue = EventQueue<Int>()
    var stream = RandomStream(seed: 1, purpose: .data)
    for i in 0..<1000 { queue.schedule(i, at: stream.nextDouble()) }
    var start = wallClock()
    for _ in 0..<1_000_000 {
      let entry = queue.pop()!
      queue.schedule(entry.event, at: entry.time + stream.nextDouble())
    }
    figures["queue_events_per_s"] = 1e6 / (wallClock() - start)

    // 2. The whole kernel with a no-op task: 1,000 clients, 100 per round, heterogeneous devices.
    let noOp = NoOpTask()
    let kernelSettings = SimulationSettings(
      clients: 1000, seed: 1, workers: workers,
      devices: DeviceModel(speed: .logNormal(median: 1e9, sigma: 0.5), dropoutProbability: 0.05),
      network: NetworkModel(uplink: LinkModel(latency: .uniform(low: 0.01, high: 0.1))))
    start = wallClock()
    let kernelResult = try ServerSimulation(
      task: noOp, settings: kernelSettings,
      mode: .synchronous(SynchronousRounds(rounds: 200, clientsPerRound: 100, overSelection: 0.2))
    ).run()
    figures["kernel_events_per_s"] = Double(kernelResult.trace.count) / (wallClock() - start)

    // 3. FedAvg on linear regression: 100 clients × 32 samples × 100 features, 5 local GD steps.
    let task = LinearRegressionFedAvg(samples: 32, dimension: 100, localSteps: 5, learningRate: 0.05, seed: 1)
    let settings = SimulationSettings(clients: 100, seed: 1, workers: workers)
    start = wallClock()
    let result = try ServerSimulation(
      task: task, settings: settings,
      mode: .synchronous(SynchronousRounds(rounds: rounds, clientsPerRound: 100))
    ).run()
    let elapsed = wallClock() - start
    figures["fedavg_seconds_per_round"] = elapsed / Double(rounds)
    figures["fedavg_final_train_loss"] = result.rounds.last?.clientMetrics["train_loss"] ?? .nan
    figures["fedavg_peak_rss_mb"] = peakResidentBytes() / 1e6

    // 4. Population scale: 10,000 registered clients, 100 sampled per round.
    start = wallClock()
    let population = LinearRegressionFedAvg(samples: 32, dimension: 100, localSteps: 5, learningRate: 0.05, seed: 2)
    let populationResult = try ServerSimulation(
      task: population, settings: SimulationSettings(clients: 10_000, seed: 2, workers: workers),
      mode: .synchronous(SynchronousRounds(rounds: 1, clientsPerRound: 100))
    ).run()
    figures["population_first_round_seconds"] = wallClock() - start
    figures["population_clients_with_state"] = Double(populationResult.clientsWithState)
    figures["peak_rss_mb"] = peakResidentBytes() / 1e6

    if json {
      let items = figures.keys.sorted().map { "\"\($0)\": \(figures[$0]!)" }
      print("{" + items.joined(separator: ", ") + ", \"workers\": \(workers)}")
    } else {
      print(String(format: "event queue (hold model, 1k pending)   %12.0f events/s", figures["queue_events_per_s"]!))
      print(String(format: "kernel, no-op task (1k clients)        %12.0f events/s", figures["kernel_events_per_s"]!))
      print(
        String(
          format: "FedAvg linear regression, 100 clients  %12.5f s/round  (final train loss %.4f)", figures["fedavg_seconds_per_round"]!,
          figures["fedavg_final_train_loss"]!))
      print(
        String(
          format: "10,000 clients, 100 per round          %12.4f s to the end of round 1 (%.0f clients hold state)",
          figures["population_first_round_seconds"]!, figures["population_clients_with_state"]!))
      print(String(format: "peak resident memory                   %12.1f MB", figures["peak_rss_mb"]!))
    }
  }
}
