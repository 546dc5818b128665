import Foundation
import Testing

@testable import FedSim

/// Checkpoint and resume: a run stopped after some round and resumed from its checkpoint ends
/// with the same metrics, summary, clients table and trace hash as the run that never stopped —
/// for every kind of schedule and state (server moments, events in flight across rounds, trust
/// rows, the privacy accountant, LoRA adapters with AdamW moments).
@Suite struct CheckpointResumeTests {
  /// A convex federation over a lossy, straggling network: late reports and crashes leave events
  /// in the queue across round boundaries.
  static let quadratic = """
    name: resume
    seed: 11
    task: linear-regression
    clients: 12
    model: {init: 1.0}
    data: {source: {kind: decor-quadratic, dimension: 6, zeta: 1.0}}
    topology: {kind: ring}
    devices: {speed: {log_normal: {median: 5.0e+4, sigma: 1.0}}, dropout: 0.1}
    network: {uplink: {latency: 0.02, bandwidth: 1.0e+5, loss: 0.1}, peer: {latency: 0.01, bandwidth: 1.0e+6, loss: 0.1}}
    schedule: {mode: sync, rounds: 12, clients_per_round: 5, deadline: 0.08, local_steps: 3, batch_size: 5, optimizer: {name: sgd}, lr: 0.05, gradient_clip: 0}
    aggregator: {name: fedavg, options: {server_optimizer: adam, server_lr: 0.05}}
    evaluation: {every: 2, splits: [validation]}
    output: {trace: true, checkpoint_every: 3}
    """

  struct Finished {
    let metrics: String
    let summary: String
    let clients: String
    let trace: String
    let hash: String
  }

  static func read(_ directory: URL) throws -> Finished {
    func text(_ name: String) throws -> String { try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) }
    let wall = #""(wall_time_s|setup_wall_s|sgemm_gflops)": [0-9.e+-]+,?\n?"#
    return Finished(
      metrics: try text("metrics.jsonl").replacingOccurrences(of: #", "wall_time_s": [0-9.e+-]+"#, with: "", options: .regularExpression),
      summary: try text("summary.json").replacingOccurrences(of: wall, with: "", options: .regularExpression),
      clients: try text("clients.csv"), trace: (try? text("trace.jsonl")) ?? "", hash: try text("trace.hash"))
  }

  static func folder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  static func runner(_ text: String, _ overrides: [String], out: URL, workers: Int = 1) throws -> Runner {
    let scenario = try ScenarioDecoder.decode(text, file: "resume.yaml", overrides: overrides)
    return Runner(
      scenario: scenario, scenarioText: text, overrides: overrides, workers: workers, output: out,
      cacheDirectory: out.deletingLastPathComponent().appendingPathComponent("cache"))
  }

  /// The uninterrupted run, and the same run stopped after `stopAfter` rounds then resumed (with
  /// another number of workers).
  static func compare(_ text: String, _ overrides: [String], stopAfter: Int) throws -> (Finished, Finished) {
    let folder = try folder()
    let whole = folder.appendingPathComponent("whole")
    try runner(text, overrides, out: whole).run(log: { _ in }, progress: { _ in })
    let cut = folder.appendingPathComponent("cut")
    var first = try runner(text, overrides, out: cut)
    first.interruptAfterRounds = stopAfter
    let stopped = Result { try first.run(log: { _ in }, progress: { _ in }) }
    guard case .failure(let error) = stopped, case .interrupted(let directory, let resumable)? = error as? RunError else {
      Issue.record("the run was not interrupted: \(stopped)")
      return (try read(whole), try read(whole))
    }
    #expect(resumable && directory.hasSuffix("cut.partial"))
    let note = try String(contentsOf: folder.appendingPathComponent("cut.partial/partial.json"), encoding: .utf8)
    #expect(note.contains("\"status\": \"interrupted\"") && note.contains("\"resumable\": true"))
    let resumed = try Runner.resuming(
      folder.appendingPathComponent("cut.partial"), workers: 2, cacheDirectory: folder.appendingPathComponent("cache"))
    var log: [String] = []
    try resumed.run(log: { log.append($0) }, progress: { _ in })
    #expect(log.contains { $0.hasPrefix("resumed from the checkpoint after round \(stopAfter)") }, "\(log)")
    // The finished folder holds results only, and nothing is left behind.
    let names = try FileManager.default.contentsOfDirectory(atPath: cut.path)
    #expect(!names.contains("checkpoint") && !names.contains("partial.json"))
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("cut.partial").path))
    return (try read(whole), try read(cut))
  }

  static func expectSame(_ pair: (Finished, Finished)) {
    let (whole, resumed) = pair
    #expect(whole.hash == resumed.hash)
    #expect(whole.trace == resumed.trace)
    #expect(whole.metrics == resumed.metrics)
    #expect(whole.summary == resumed.summary)
    #expect(whole.clients == resumed.clients)
  }

  @Test func aServerRunResumesBitIdentically() throws {
    // Stopped between periodic checkpoints: late reports, crashes and Adam's moments carry over.
    Self.expectSame(try Self.compare(Self.quadratic, [], stopAfter: 7))
  }

  @Test func aBufferedAsynchronousRunResumesBitIdentically() throws {
    let overrides = ["schedule.mode=async", "schedule.concurrency=4", "schedule.buffer_size=2", "schedule.deadline=null"]
    Self.expectSame(try Self.compare(Self.quadratic, overrides, stopAfter: 5))
  }

  @Test func aGossipRunResumesBitIdentically() throws {
    let overrides = ["schedule.mode=gossip", "aggregator.name=gossip", "aggregator.options={}", "schedule.deadline=null"]
    Self.expectSame(try Self.compare(Self.quadratic, overrides, stopAfter: 4))
  }

  @Test func aTrustRunResumesBitIdentically() throws {
    let overrides = [
      "schedule.mode=gossip", "aggregator.name=trust", "aggregator.options={scheme: validation, warmup_rounds: 1}",
      "schedule.deadline=null", "topology.kind=complete",
    ]
    let pair = try Self.compare(Self.quadratic, overrides, stopAfter: 5)
    #expect(pair.0.metrics.contains("\"kind\": \"mixing\""))
    Self.expectSame(pair)
  }

  @Test func aDecorRunResumesWithItsAccountant() throws {
    // Edge keys are agreed again on resume (never written): seeded keys give the same noise.
    let overrides = [
      "schedule.mode=gossip", "aggregator.name=decor", "aggregator.options={}", "schedule.deadline=null",
      "privacy={clip: 1.0, sigma_cdp: 12, sigma_cor: 20, delta: 1.0e-5}",
    ]
    let pair = try Self.compare(Self.quadratic, overrides, stopAfter: 6)
    #expect(pair.0.metrics.contains("\"epsilon\""))
    Self.expectSame(pair)
  }

  @Test func aLoRARunResumesWithItsOptimiserState() throws {
    let overrides = ["schedule.rounds=5", "output.checkpoint_every=2"]
    Self.expectSame(try Self.compare(RunnerTests.scenarioText, overrides, stopAfter: 3))
  }

  @Test func aRunWithRejectedUpdatesResumesWithItsFindings() throws {
    // Divergence: the non-finite findings and diverged clients carry over.
    let pair = try Self.compare(NonFiniteTests.quadratic, ["schedule.lr=10", "output.checkpoint_every=4"], stopAfter: 9)
    #expect(pair.0.summary.contains("\"status\": \"diverged\""))
    Self.expectSame(pair)
  }
}
