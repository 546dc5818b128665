import ArgumentParser
import FedSim
import Foundation
import Learning

struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run the cross product of --grid axes over several seeds and write a comparison table.",
    discussion: """
      Example: fedsim sweep scenarios/quickstart.yaml --grid aggregator.name=local,fedavg --seeds 3
      Each run goes to OUT/<axis=value…>-seed<k>/; OUT/table.md and OUT/table.csv hold mean ± standard deviation \
      over seeds of the final mean validation (and test) loss and perplexity, the simulated time and the wall time. \
      A cell with a diverged or failed seed shows that instead of a number, and the diverged column counts such \
      seeds. Every combination is validated before the first run starts.
      """)

  @Argument(help: "Scenario file (YAML).") var file: String
  @Option(help: "An axis: key.path=value1,value2 (repeatable).") var grid: [String] = []
  @Option(help: "Seeds per combination (0 … seeds−1).") var seeds: Int = 1
  @Option(name: .customLong("set"), help: "Override a field for every run: key.path=value (repeatable).") var overrides: [String] = []
  @Option(help: "Worker threads per run (never changes results).") var workers: Int = ProcessInfo.processInfo.activeProcessorCount
  @Option(help: "Sweep directory (default: runs/<name>-sweep-<date-time>).") var out: String?
  @Option(help: "A summary value to tabulate (repeatable; default: the task's main values).") var metric: [String] = []
  @Flag(help: "No per-run progress.") var quiet = false
  @Flag(help: "Continue an interrupted sweep in --out: finished runs are read back, the others run.") var resume = false

  func validate() throws {
    guard seeds > 0 else { throw ValidationError("--seeds must be positive, got \(seeds)") }
    guard workers > 0 else { throw ValidationError("--workers must be positive, got \(workers)") }
    guard !grid.isEmpty || seeds > 1 else { throw ValidationError("nothing to sweep: give --grid key=v1,v2 and/or --seeds N > 1") }
    if resume && out == nil { throw ValidationError("--resume needs the sweep's --out directory") }
  }

  func run() throws {
    BLAS.threads = 1
    let url = URL(fileURLWithPath: file)
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw ValidationError("\(file): cannot read the file: \(error.localizedDescription)")
    }
    let sweep: Sweep
    let scenarios: [[Scenario]]
    do {
      sweep = try Sweep(
        scenarioText: text, file: file, baseDirectory: url.deletingLastPathComponent(), grid: grid, seeds: seeds, overrides: overrides)
      scenarios = try sweep.validateAll()
    } catch {
      FileHandle.standardError.write(Data((error.description + "\n").utf8))
      throw ExitCode(1)
    }
    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
    let root = URL(fileURLWithPath: out ?? "runs/\(scenarios[0][0].name)-sweep-\(stamp)")
    if !resume, let entries = try? FileManager.default.contentsOfDirectory(atPath: root.path), !entries.isEmpty {
      throw ValidationError("--out \(root.path) already holds runs: pass --resume to continue that sweep, or choose another directory")
    }
    var summaries: [[[String: Double]]] = []
    let interruption = InterruptHandler()
    defer { withExtendedLifetime(interruption) {} }
    let total = scenarios.count * seeds
    var index = 0
    for (combination, runs) in zip(sweep.combinations, scenarios) {
      var row: [[String: Double]] = []
      for (seed, scenario) in runs.enumerated() {
        index += 1
        let output = root.appendingPathComponent("\(sweep.label(combination))-seed\(seed)")
        if resume {
          do {
            if let finished = try Sweep.finishedSummary(at: output, expected: sweep.overrides(for: combination, seed: seed)) {
              if !quiet { log("[\(index)/\(total)] finished earlier: \(output.lastPathComponent)") }
              row.append(finished)
              continue
            }
          } catch {
            FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
            throw ExitCode(1)
          }
        }
        if !quiet { log("[\(index)/\(total)] \(sweep.overrides(for: combination, seed: seed).joined(separator: " "))") }
        do {
          try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
          var runner = Runner(
            scenario: scenario, scenarioText: text, overrides: sweep.overrides(for: combination, seed: seed), workers: workers,
            output: output, cacheDirectory: URL(fileURLWithPath: "runs/.cache"))
          if resume, FileManager.default.fileExists(atPath: runner.workDirectory.path) {
            // The cell was cut off: continue it from its checkpoint, or start it again without one.
            if FileManager.default.fileExists(atPath: runner.workDirectory.appendingPathComponent("checkpoint").path) {
              runner = try Runner.resuming(
                runner.workDirectory, scenarioText: text, overrides: sweep.overrides(for: combination, seed: seed), workers: workers,
                cacheDirectory: URL(fileURLWithPath: "runs/.cache"), warn: { log("warning: \($0)") })
              if !quiet { log("  resuming \(runner.workDirectory.lastPathComponent) from its checkpoint") }
            } else {
              try FileManager.default.removeItem(at: runner.workDirectory)
              if !quiet { log("  \(runner.workDirectory.lastPathComponent) has no checkpoint: running the cell again") }
            }
          }
          let summary = try runner.run(log: { _ in }, progress: { _ in })
          if summary["diverged"] == 1 {
            log("warning: \(output.lastPathComponent) diverged (\(Int(summary["diverged_clients"] ?? 0)) clients with non-finite values)")
          }
          row.append(summary)
        } catch RunError.interrupted(let directory, _) {
          FileHandle.standardError.write(
            Data("\ninterrupted: the sweep stopped (the current run is in \(directory)); continue with --resume\n".utf8))
          throw ExitCode(130)
        } catch RunError.nonFinite(let finding) {
          // One cell's failure is a result of the sweep, not the end of it.
          log("warning: \(output.lastPathComponent) stopped: \(finding)")
          row.append(["failed": 1])
        } catch RunError.failed(let reason, _) {
          log("warning: \(output.lastPathComponent) failed: \(reason)")
          row.append(["failed": 1])
        } catch {
          FileHandle.standardError.write(Data(("error: \(error)\n").utf8))
          throw ExitCode(1)
        }
      }
      summaries.append(row)
    }
    let (markdown, csv) = sweep.tables(summaries, metrics: metric.isEmpty ? defaultSweepMetrics(summaries) : metric)
    try markdown.write(to: root.appendingPathComponent("table.md"), atomically: true, encoding: .utf8)
    try csv.write(to: root.appendingPathComponent("table.csv"), atomically: true, encoding: .utf8)
    print(markdown)
    // The sweep's charts: report/report.html (replaced on --resume).
    let report = Report(paths: [root])
    do {
      try report.write(to: root.appendingPathComponent("report"), force: true)
      if !quiet {
        for note in report.notes { log("report note: \(note)") }
        log("report: \(root.appendingPathComponent("report/report.html").path)")
      }
    } catch { log("warning: the sweep's report could not be written: \(error.description)") }
    if !quiet { log("sweep directory: \(root.path)") }
  }
}
