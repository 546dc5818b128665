import Foundation
import StateArchive
import Testing

@testable import FedSim

/// Damaged or foreign checkpoints are refused with a message that says why; a damaged latest
/// checkpoint falls back to the previous good one; nothing a refused resume touches is changed.
@Suite struct CheckpointRefusalTests {
  /// A run stopped after round 7 with checkpoints every 3 rounds: state.bin (round 7, written on
  /// the interruption) and state.previous.bin (round 6).
  static func stoppedRun() throws -> (folder: URL, partial: URL) {
    let folder = try CheckpointResumeTests.folder()
    var runner = try CheckpointResumeTests.runner(CheckpointResumeTests.quadratic, [], out: folder.appendingPathComponent("run"))
    runner.interruptAfterRounds = 7
    _ = Result { try runner.run(log: { _ in }, progress: { _ in }) }
    let partial = folder.appendingPathComponent("run.partial")
    #expect(FileManager.default.fileExists(atPath: partial.appendingPathComponent("checkpoint/state.bin").path))
    #expect(FileManager.default.fileExists(atPath: partial.appendingPathComponent("checkpoint/state.previous.bin").path))
    return (folder, partial)
  }

  static func refusal(_ partial: URL, scenarioText: String? = nil, overrides: [String]? = nil) -> String? {
    do {
      _ = try Runner.resuming(
        partial, scenarioText: scenarioText, overrides: overrides, workers: 1, cacheDirectory: partial.appendingPathComponent("cache"))
      return nil
    } catch { return error.description }
  }

  static func damage(_ url: URL, at offset: Int) throws {
    var bytes = try Data(contentsOf: url)
    bytes[offset] ^= 0x5A
    try bytes.write(to: url)
  }

  @Test func aDamagedLatestCheckpointFallsBackToThePreviousOne() throws {
    let (folder, partial) = try Self.stoppedRun()
    let latest = partial.appendingPathComponent("checkpoint/state.bin")
    try Self.damage(latest, at: (try Data(contentsOf: latest)).count / 2)
    var warnings: [String] = []
    let runner = try Runner.resuming(partial, workers: 1, cacheDirectory: folder.appendingPathComponent("cache")) { warnings.append($0) }
    #expect(runner.resumePoint?.header.roundsCompleted == 6)
    #expect(warnings.count == 1 && warnings[0].contains("state.bin: damaged (its checksum does not match"), "\(warnings)")
    // Resuming from the older checkpoint cuts metrics.jsonl back and still ends where the
    // uninterrupted run does.
    try runner.run(log: { _ in }, progress: { _ in })
    let whole = folder.appendingPathComponent("whole")
    try CheckpointResumeTests.runner(CheckpointResumeTests.quadratic, [], out: whole).run(log: { _ in }, progress: { _ in })
    let (a, b) = (try CheckpointResumeTests.read(whole), try CheckpointResumeTests.read(folder.appendingPathComponent("run")))
    #expect(a.metrics == b.metrics && a.hash == b.hash)
  }

  @Test func twoDamagedCheckpointsAreRefused() throws {
    let (_, partial) = try Self.stoppedRun()
    try Self.damage(partial.appendingPathComponent("checkpoint/state.bin"), at: 3)
    let previous = partial.appendingPathComponent("checkpoint/state.previous.bin")
    try Data(try Data(contentsOf: previous).prefix(100)).write(to: previous)
    let message = Self.refusal(partial)
    #expect(message?.contains("no usable checkpoint") == true, "\(message ?? "accepted")")
    #expect(message?.contains("state.bin: not a FedSim checkpoint") == true)
    #expect(message?.contains("state.previous.bin: damaged") == true)
    // The refused folder is left as it was.
    #expect(FileManager.default.fileExists(atPath: partial.appendingPathComponent("metrics.jsonl").path))
  }

  /// Rewrites the latest checkpoint's header (with a valid checksum: what another version or
  /// machine would have written).
  static func rewriteHeader(_ partial: URL, _ change: (inout CheckpointHeader) -> Void) throws {
    let url = partial.appendingPathComponent("checkpoint/state.bin")
    guard case .success(var (header, state)) = CheckpointFile.decode(Array(try Data(contentsOf: url))) else {
      Issue.record("unreadable checkpoint")
      return
    }
    change(&header)
    try Data(CheckpointFile.encode(header: header, state: state)).write(to: url)
  }

  @Test func anotherVersionOrKernelIsRefused() throws {
    let (_, partial) = try Self.stoppedRun()
    try Self.rewriteHeader(partial) { $0.fedsimVersion = "0.0.1" }
    #expect(Self.refusal(partial)?.contains("was written by FedSim 0.0.1") == true)
    try Self.rewriteHeader(partial) {
      $0.fedsimVersion = FedSimVersion.string
      $0.blasKernel = "Prescott"
    }
    let message = Self.refusal(partial)
    #expect(message?.contains("was written with the BLAS kernel Prescott") == true, "\(message ?? "accepted")")
    #expect(message?.contains("OPENBLAS_CORETYPE=Prescott") == true)
  }

  @Test func anotherScenarioOrSeedIsRefused() throws {
    let (_, partial) = try Self.stoppedRun()
    let text = CheckpointResumeTests.quadratic
    #expect(Self.refusal(partial, scenarioText: text, overrides: []) == nil)
    let other = Self.refusal(partial, scenarioText: text.replacingOccurrences(of: "lr: 0.05", with: "lr: 0.1"), overrides: [])
    #expect(other?.contains("was written for another scenario") == true, "\(other ?? "accepted")")
    #expect(Self.refusal(partial, scenarioText: text, overrides: ["seed=12"])?.contains("another scenario") == true)
  }

  @Test func aStateThatDoesNotFitTheScenarioIsRefused() throws {
    // A checkpoint whose scenario text says 12 clients but whose state holds another model size.
    let (_, partial) = try Self.stoppedRun()
    try Self.rewriteHeader(partial) {
      $0.scenarioText = $0.scenarioText.replacingOccurrences(of: "dimension: 6", with: "dimension: 7")
    }
    let runner = try Runner.resuming(partial, workers: 1, cacheDirectory: partial.appendingPathComponent("cache"))
    #expect {
      try runner.run(log: { _ in }, progress: { _ in })
    } throws: { error in
      "\(error)".contains("does not fit this run") && "\(error)".contains("the model size is 6 values, expected 7")
    }
  }

  @Test func finishedRunsAndMissingFoldersAreNotResumed() throws {
    let folder = try CheckpointResumeTests.folder()
    let out = folder.appendingPathComponent("done")
    try CheckpointResumeTests.runner(CheckpointResumeTests.quadratic, [], out: out).run(log: { _ in }, progress: { _ in })
    #expect(Self.refusal(out)?.contains("is a finished run") == true)
    #expect(Self.refusal(folder.appendingPathComponent("nothing"))?.contains("is not an unfinished run") == true)
    // A new run never takes over an unfinished one's folder.
    let (_, partial) = try Self.stoppedRun()
    let again = try CheckpointResumeTests.runner(
      CheckpointResumeTests.quadratic, [], out: partial.deletingLastPathComponent().appendingPathComponent("run"))
    #expect {
      try again.run(log: { _ in }, progress: { _ in })
    } throws: { error in
      "\(error)".contains("holds an unfinished run: continue it with `fedsim run --resume")
    }
  }

  @Test func archiveReadersRefuseDamagedBytes() throws {
    // Lengths larger than the bytes left are refused before anything is allocated.
    var writer = ArchiveWriter()
    writer.write(Int.max / 2)
    var reader = ArchiveReader(writer.bytes)
    #expect(throws: ArchiveError.invalid(what: "length of a Float array", value: "\(Int.max / 2)", offset: 0)) {
      try reader.readFloats()
    }
    var short = ArchiveReader([1, 2, 3])
    #expect(throws: ArchiveError.truncated(reading: "an integer", offset: 0)) { try short.readInt() }
    var tagged = ArchiveWriter()
    tagged.section("federation")
    var wrong = ArchiveReader(tagged.bytes)
    #expect(throws: ArchiveError.sectionMismatch(expected: "clients", found: "federation", offset: 0)) { try wrong.section("clients") }
  }
}
