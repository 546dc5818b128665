import ArgumentParser
import FedSim
import Foundation
import Learning

/// A large registered population through `fedsim run`'s own path: the B1 workload (linear
/// regression, 32 training examples × 100 features per client, 5 local full-batch GD steps,
/// FedAvg) over a million registered clients, 1,000 sampled per round.
struct PopulationBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "population",
    abstract: "Start-up time, time per round and peak memory of a run with a large registered population.")

  @Option(help: "Registered clients.") var clients: Int = 1_000_000
  @Option(name: .customLong("per-round"), help: "Clients sampled per round.") var perRound: Int = 1000
  @Option(help: "Rounds (the first is excluded from the per-round figure).") var rounds: Int = 10
  @Option(help: "Worker threads.") var workers: Int = ProcessInfo.processInfo.activeProcessorCount
  @Flag(help: "One JSON object.") var json = false

  func validate() throws {
    guard clients > 0, perRound > 0, perRound <= clients else { throw ValidationError("need 0 < --per-round ≤ --clients") }
    guard rounds >= 2 else { throw ValidationError("--rounds must be at least 2") }
  }

  func run() throws {
    BLAS.threads = 1  // as `fedsim run`: parallelism comes from the worker pool
    let text = """
      name: population-bench
      task: linear-regression
      clients: \(clients)
      data: {source: {kind: linear, dimension: 100, examples: 40}}
      schedule: {mode: sync, rounds: \(rounds), clients_per_round: \(perRound), local_steps: 5, batch_size: 32, optimizer: {name: sgd}, lr: 0.05, gradient_clip: 0}
      aggregator: {name: fedavg}
      evaluation: {every: \(rounds), clients: {sampled: \(min(1000, clients))}}
      """
    let started = wallClock()
    let scenario = try ScenarioDecoder.decode(text, file: "population-bench.yaml")
    let decoding = wallClock() - started
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-population-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    var roundEnds: [Double] = []
    let summary = try Runner(
      scenario: scenario, scenarioText: text, overrides: [], workers: workers, output: out,
      cacheDirectory: out.appendingPathComponent("cache")
    ).run(log: { _ in }, progress: { _ in roundEnds.append(wallClock()) })
    let startup = decoding + (summary["setup_wall_s"] ?? .nan)
    // Rounds 2…R, without the last one's evaluation: differences of consecutive round ends.
    let intervals = zip(roundEnds.dropFirst(), roundEnds.dropFirst(2)).map { $1 - $0 }.dropLast()
    let perRoundSeconds = intervals.isEmpty ? .nan : intervals.sorted()[intervals.count / 2]
    let figures: [String: Double] = [
      "clients": Double(clients), "per_round": Double(perRound), "startup_s": startup, "round_s": perRoundSeconds,
      "ms_per_100_clients": perRoundSeconds * 1e3 * 100 / Double(perRound), "peak_rss_mb": peakResidentBytes() / 1e6,
      "clients_with_state": summary["clients_with_state"] ?? .nan, "workers": Double(workers),
    ]
    if json {
      print("{" + figures.keys.sorted().map { "\"\($0)\": \(figures[$0]!)" }.joined(separator: ", ") + "}")
    } else {
      print(String(format: "%d registered clients, %d per round, %d workers", clients, perRound, workers))
      print(String(format: "start-up (scenario to first round)  %10.3f s", startup))
      print(
        String(
          format: "one round (median of rounds 2…%d)    %10.4f s  = %.2f ms per 100 sampled clients", rounds - 1, perRoundSeconds,
          figures["ms_per_100_clients"]!))
      print(String(format: "peak resident memory                %10.1f MB", figures["peak_rss_mb"]!))
    }
  }
}
