import ArgumentParser
import FedSim
import Foundation

/// `fedsim report`: charts and tables of runs and sweeps, as one offline HTML page.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Charts (HTML page and SVG files) and tables (markdown, CSV) of runs and sweeps.",
    discussion: """
      Give run folders, sweep folders (their runs are grouped by cell: the mean over seeds is drawn \
      with a ±1 sd band) or unfinished OUT.partial folders. The page report.html opens offline in any \
      browser (inline SVG, no scripts, no network). Charts: the main metric per round and per \
      simulated time, perplexity or accuracy, per-client final loss, bytes sent against the metric, \
      simulated against wall time, ε per round and the privacy–utility frontier (private runs), trust \
      matrices, routing per layer (mixtures) and the topology coloured by each client's final loss. \
      What cannot be drawn is said in the page and on standard error; the rest is still written.
      """)

  @Argument(help: "Run or sweep folders.") var paths: [String]
  @Option(help: "Report folder (default: PATH/report for one path, ./report otherwise).") var out: String?
  @Flag(help: "Replace the report files in an existing --out folder.") var force = false

  func run() throws {
    let urls = paths.map { URL(fileURLWithPath: $0) }
    let report = Report(paths: urls)
    for note in report.notes { log("note: \(note)") }
    guard report.runCount > 0 else {
      FileHandle.standardError.write(Data("error: no run found in \(paths.joined(separator: ", "))\n".utf8))
      throw ExitCode(1)
    }
    let destination = URL(fileURLWithPath: out ?? (urls.count == 1 ? urls[0].appendingPathComponent("report").path : "report"))
    do { try report.write(to: destination, force: force) } catch {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(1)
    }
    log("report of \(report.runCount) runs: \(destination.appendingPathComponent("report.html").path)")
  }
}
