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
      written as OUT.partial and renamed OUT when complete; an existing directory is never overwritten. \
      OUT.partial holds checkpoints (output.checkpoint_every, default every 10 rounds, and on Ctrl-C): \
      `fedsim run --resume OUT.partial` continues an interrupted or killed run to the same result.
      """)

  @Argument(help: "Scenario file (YAML); optional with --resume (then it must be the one the run started with).")
  var file: String?
  @Option(help: "Continue the unfinished run in this folder (OUT.partial) from its latest checkpoint.") var resume: String?
  @Option(name: .customLong("set"), help: "Override a field: key.path=value (repeatable).") var overrides: [String] = []
  @Option(help: "Override the seed.") var seed: UInt64?
  @Option(help: "Worker threads (never changes results).") var workers: Int = ProcessInfo.processInfo.activeProcessorCount
  @Option(help: "Run directory (default: output.dir, or runs/<name>-<seed>).") var out: String?
  @Flag(help: "No progress output.") var quiet = false

  func validate() throws {
    guard workers > 0 else { throw ValidationError("--workers must be positive, got \(workers)") }
    if resume == nil && file == nil { throw ValidationError("give a scenario file, or --resume with an unfinished run's folder") }
    if resume != nil && out != nil { throw ValidationError("--out cannot be combined with --resume: the run keeps its folder") }
  }

  func run() throws {
    BLAS.threads = 1  // one BLAS thread per worker; parallelism comes from the worker pool
    var allOverrides = overrides
    if let seed { allOverrides.append("seed=\(seed)") }
    var runner: Runner
    if let resume {
      var text: String? = nil
      if let file {
        do { text = try String(contentsOf: URL(fileURLWithPath: file), encoding: .utf8) } catch {
          FileHandle.standardError.write(Data("error: \(file): \(error.localizedDescription)\n".utf8))
          throw ExitCode(1)
        }
      }
      do {
        runner = try Runner.resuming(
          URL(fileURLWithPath: resume), scenarioText: text, overrides: text != nil || !allOverrides.isEmpty ? allOverrides : nil,
          workers: workers, cacheDirectory: URL(fileURLWithPath: "runs/.cache"), warn: { log("warning: \($0)") })
      } catch {
        FileHandle.standardError.write(Data(("error: \(error.description)\n").utf8))
        throw ExitCode(1)
      }
    } else {
      let url = URL(fileURLWithPath: file ?? "")
      let scenario: Scenario
      let text: String
      do {
        text = try String(contentsOf: url, encoding: .utf8)
        scenario = try ScenarioDecoder.decode(contentsOf: url, overrides: allOverrides)
      } catch let error as ScenarioError {
        // Every rank of a distributed run reads the same file: the leader says what is wrong.
        if ToolCluster.current.isLeader { FileHandle.standardError.write(Data((error.description + "\n").utf8)) }
        throw ExitCode(1)
      }
      let output = URL(fileURLWithPath: out ?? scenario.output.directory ?? "runs/\(scenario.name)-\(scenario.seed)")
      runner = Runner(
        scenario: scenario, scenarioText: text, overrides: allOverrides, workers: workers, output: output,
        cacheDirectory: URL(fileURLWithPath: "runs/.cache"), scenarioFile: url.standardizedFileURL)
    }
    // In an MPI job every rank runs the scenario; the leader (rank 0) reports and writes the run.
    let cluster = ToolCluster.current
    if cluster.size > 1 { runner = runner.distributed(over: cluster) }
    let scenario = runner.scenario
    let output = runner.output
    let terminal = isatty(STDERR_FILENO) != 0
    let quiet = self.quiet || !cluster.isLeader
    let languageModel = scenario.task == .loraLM
    // Without a terminal, about 50 log lines per run.
    let logEvery = max(1, scenario.schedule.rounds / 50)
    let interruption = InterruptHandler()
    defer { withExtendedLifetime(interruption) {} }
    do {
      let summary = try runner.runAsRank(
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
        log("charts and tables: fedsim report \(output.path)")
      }
      if cluster.size > 1 && !self.quiet {
        // Every rank says what its exchanges cost (the leader's line comes with its log).
        let t = cluster.ledger.totals
        let rounds = max(1, Int(summary["rounds"] ?? 1))
        FileHandle.standardError.write(
          Data(
            String(
              format: "rank %d: %d exchanges, sent %@B (%@B per round), received %@B, %.2f s in exchanges\n", cluster.rank, t.exchanges,
              compact(Double(t.bytesSent)), compact(Double(t.bytesSent) / Double(rounds)), compact(Double(t.bytesReceived)), t.seconds
            ).utf8))
      }
      if summary["diverged"] == 1 && cluster.isLeader {
        // Said even with --quiet: these numbers must not be read as a clean result.
        log(
          String(
            format:
              "warning: the run diverged: %.0f of %d clients had non-finite values (%.0f local updates and %.0f aggregates rejected); its means are not comparable with a clean run's",
            summary["diverged_clients"] ?? 0, scenario.clients, summary["non_finite_updates"] ?? 0, summary["non_finite_aggregates"] ?? 0))
      }
    } catch RunError.interrupted(let directory, let resumable) {
      let next =
        resumable
        ? "continue with: fedsim run --resume \(directory)" : "what the run wrote so far is in \(directory) (see partial.json)"
      FileHandle.standardError.write(Data(("\ninterrupted: \(next)\n").utf8))
      throw ExitCode(130)
    } catch {
      let rank = cluster.size > 1 && !cluster.isLeader ? "rank \(cluster.rank): " : ""
      FileHandle.standardError.write(Data(("\(rank)error: \(error.description)\n").utf8))
      throw ExitCode(1)
    }
  }
}

/// SIGINT and SIGTERM stop a run once a checkpoint is written (after the event in progress, or at
/// the end of a gossip round), keeping its folder `<output>.partial`; a second one ends the
/// process at once (the previous checkpoint stays usable).
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
