import Foundation
import Testing

@testable import FedSim

/// A `fedsim run` child process killed at a random round (SIGKILL: no chance to save anything) or
/// interrupted (SIGINT: it saves a checkpoint and exits 130), then `fedsim run --resume`, ends
/// with the same metrics, summary and trace hash as the run that was never stopped.
@Suite(.serialized) struct KillAndResumeTests {
  enum Kind: String, CaseIterable, Sendable {
    case server, gossip, trust, decor, interruptedServer

    var overrides: [String] {
      switch self {
      case .server, .interruptedServer: return []
      case .gossip: return ["schedule.mode=gossip", "aggregator.name=gossip", "aggregator.options={}", "schedule.deadline=null"]
      case .trust:
        return [
          "schedule.mode=gossip", "aggregator.name=trust", "aggregator.options={scheme: validation, warmup_rounds: 1}",
          "schedule.deadline=null", "topology.kind=complete",
        ]
      case .decor:
        return [
          "schedule.mode=gossip", "aggregator.name=decor", "aggregator.options={}", "schedule.deadline=null",
          "privacy={clip: 1.0, sigma_cdp: 12, sigma_cor: 20, delta: 1.0e-5}",
        ]
      }
    }
  }

  static let rounds = 200

  @Test(arguments: Kind.allCases) func aStoppedChildResumesToTheSameResult(_ kind: Kind) throws {
    guard let fedsim = CommandLineTests.fedsim else {
      Issue.record("the fedsim executable is not next to the test binary")
      return
    }
    let folder = try CheckpointResumeTests.folder()
    let file = folder.appendingPathComponent("resume.yaml")
    try CheckpointResumeTests.quadratic.write(to: file, atomically: true, encoding: .utf8)
    let sets = (kind.overrides + ["schedule.rounds=\(Self.rounds)", "output.checkpoint_every=1", "output.trace=false"]).flatMap {
      ["--set", $0]
    }
    let common = ["run", file.path, "--quiet"] + sets
    #expect(try CommandLineTests().run(common + ["--out", folder.appendingPathComponent("whole").path]).status == 0)

    let process = Process()
    process.executableURL = fedsim
    process.arguments = common + ["--out", folder.appendingPathComponent("cut").path]
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Stop it once a random number of rounds is recorded.
    let target = Int.random(in: 3...40)
    let metrics = folder.appendingPathComponent("cut.partial/metrics.jsonl")
    var seen = 0
    for _ in 0..<4000 where process.isRunning {
      seen = ((try? String(contentsOf: metrics, encoding: .utf8)) ?? "").components(separatedBy: "\"kind\": \"round\"").count - 1
      if seen >= target { break }
      Thread.sleep(forTimeInterval: 0.002)
    }
    #expect(process.isRunning, "the run finished before round \(target): make it longer")
    if kind == .interruptedServer { process.interrupt() } else { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    if kind == .interruptedServer {
      #expect(process.terminationStatus == 130)
      let note = try String(contentsOf: folder.appendingPathComponent("cut.partial/partial.json"), encoding: .utf8)
      #expect(note.contains("\"status\": \"interrupted\"") && note.contains("\"resumable\": true"), "\(note)")
    } else {
      #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
    }
    let resumed = try CommandLineTests().run(["run", "--resume", folder.appendingPathComponent("cut.partial").path, "--quiet"])
    #expect(resumed.status == 0, "killed after \(seen) rounds: \(resumed.output)")
    let whole = try CheckpointResumeTests.read(folder.appendingPathComponent("whole"))
    let cut = try CheckpointResumeTests.read(folder.appendingPathComponent("cut"))
    #expect(whole.hash == cut.hash, "stopped after \(seen) rounds")
    #expect(whole.metrics == cut.metrics, "stopped after \(seen) rounds")
    #expect(whole.summary == cut.summary, "stopped after \(seen) rounds")
    #expect(whole.clients == cut.clients)
  }
}
