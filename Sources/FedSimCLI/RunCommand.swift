import ArgumentParser
import FedSim
import Foundation
import Learning

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a scenario: a federated LoRA fine-tuning simulation that writes a run directory.",
    discussion: """
      The run directory holds scenario.yaml, metrics.jsonl (one record per client evaluation and per round), \
      summary.json, clients.csv and trace.hash (plus trace.jsonl and adapters/ when the scenario asks). It is \
      written under a temporary name and renamed when complete; an existing directory is never overwritten.
      """)

  @Argument(help: "Scenario file (YAML).") var file: String
  @Option(name: .customLong("set"), help: "Override a field: key.path=value (repeatable).") var overrides: [String] = []
  @Option(help: "Override the seed.") var seed: UInt64?
  @Option(help: "Worker threads (never changes results).") var workers: Int = ProcessInfo.processInfo.activeProcessorCount
  @Option(help: "Run directory (default: output.dir, or runs/<name>-<seed>).") var out: String?
  @Flag(help: "No progress output.") var quiet = false

  func validate() throws {
    guard workers > 0 else { throw ValidationError("--workers must be positive, got \(workers)") }
  }

  func run() throws {
    BLAS.threads = 1  // one BLAS thread per worker; parallelism comes from the worker pool
    let url = URL(fileURLWithPath: file)
    var allOverrides = overrides
    if let seed { allOverrides.append("seed=\(seed)") }
    let scenario: Scenario
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
      scenario = try ScenarioDecoder.decode(contentsOf: url, overrides: allOverrides)
    } catch let error as ScenarioError {
      FileHandle.standardError.write(Data((error.description + "\n").utf8))
      throw ExitCode(1)
    }
    let output = URL(fileURLWithPath: out ?? scenario.output.directory ?? "runs/\(scenario.name)-\(scenario.seed)")
    let runner = Runner(
      scenario: scenario, scenarioText: text, overrides: allOverrides, workers: workers, output: output,
      cacheDirectory: URL(fileURLWithPath: "runs/.cache"))
    let terminal = isatty(STDERR_FILENO) != 0
    let quiet = self.quiet
    let languageModel = scenario.task == .loraLM
    // Without a terminal, about 50 log lines per run.
    let logEvery = max(1, scenario.schedule.rounds / 50)
    let interruption = InterruptHandler()
    defer { withExtendedLifetime(interruption) {} }
    do {
      let summary = try runner.run(
        log: { message in if !quiet { log(message) } },
        progress: { p in
          guard !quiet else { return }
          guard terminal || (p.round + 1) % logEvery == 0 || p.round + 1 == p.rounds else { return }
          var validation =
            p.meanValidationLoss.map {
              languageModel ? String(format: "  val loss %.4f (ppl %.2f)", $0, Foundation.exp($0)) : String(format: "  val loss %.4g", $0)
            } ?? ""
          if let epsilon = p.epsilon { validation += String(format: "  ε %.3g", epsilon) }
          let eta =
            p.round + 1 < p.rounds
            ? String(format: "  ETA %.0fs", p.wallSeconds / Double(p.round + 1) * Double(p.rounds - p.round - 1)) : ""
          let line = String(
            format: languageModel
              ? "round %d/%d  sim %.1fs  train loss %.4f%@  sent %@B%@" : "round %d/%d  sim %.1fs  train loss %.4g%@  sent %@B%@",
            p.round + 1, p.rounds, p.simulatedTime,
            p.meanTrainLoss, validation, compact(Double(p.bytesSent)), eta)
          if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (p.round + 1 == p.rounds ? "\n" : "")).utf8))
          } else {
            log(line)
          }
        })
      if !quiet {
        var result = String(
          format: languageModel ? "final mean validation loss %.4f" : "final mean validation loss %.4g",
          summary["final_mean_val_loss"] ?? .nan)
        if let perplexity = summary["final_mean_val_perplexity"] { result += String(format: " (mean per-client ppl %.2f)", perplexity) }
        if let distance = summary["tail_mean_sq_distance"] { result += String(format: ", mean ‖x − x*‖² %.4g", distance) }
        if let epsilon = summary["final_epsilon"] { result += String(format: ", ε %.4g", epsilon) }
        log(
          String(
            format: "done: %@, %.1f s simulated, %.1f s wall → %@", result, summary["simulated_time"] ?? .nan,
            summary["wall_time_s"] ?? .nan, output.path))
      }
      if summary["diverged"] == 1 {
        // Said even with --quiet: these numbers must not be read as a clean result.
        log(
          String(
            format:
              "warning: the run diverged: %.0f of %d clients had non-finite values (%.0f local updates and %.0f aggregates rejected); its means are not comparable with a clean run's",
            summary["diverged_clients"] ?? 0, scenario.clients, summary["non_finite_updates"] ?? 0, summary["non_finite_aggregates"] ?? 0))
      }
    } catch RunError.interrupted(let directory) {
      FileHandle.standardError.write(Data(("\ninterrupted: what the run wrote so far is in \(directory) (see partial.json)\n").utf8))
      throw ExitCode(130)
    } catch {
      FileHandle.standardError.write(Data(("error: \(error.description)\n").utf8))
      throw ExitCode(1)
    }
  }
}

/// SIGINT and SIGTERM stop a run after the event in progress (its folder is kept as
/// `<output>.partial`); a second one ends the process at once.
final class InterruptHandler {
  let sources: [any DispatchSourceSignal]

  init() {
    sources = [SIGINT, SIGTERM].map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if RunInterruption.requested { exit(130) }
        RunInterruption.request()
      }
      source.resume()
      return source
    }
  }
}
