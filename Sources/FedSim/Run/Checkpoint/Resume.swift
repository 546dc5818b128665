import Foundation
import Learning
import StateArchive

/// When a run writes checkpoints: every `every` rounds (0: never on schedule) and once when it
/// is interrupted.
final class CheckpointSchedule {
  let every: Int
  let rounds: Int
  /// Rounds recorded at the last checkpoint.
  var saved: Int
  var savedOnInterrupt = false
  var failures = 0
  /// Whether the run was asked to stop.
  let interrupted: () -> Bool

  init(every: Int, rounds: Int, saved: Int, interrupted: @escaping () -> Bool) {
    self.every = every
    self.rounds = rounds
    self.saved = saved
    self.interrupted = interrupted
  }

  /// Why a checkpoint is due now, if one is. Nothing is due after the last round.
  func due(rounds recorded: Int) -> String? {
    guard recorded < rounds else { return nil }
    if interrupted() && !savedOnInterrupt {
      savedOnInterrupt = true
      return "interrupted"
    }
    if every > 0 && recorded >= saved + every { return "every \(every) rounds" }
    return nil
  }
}

/// A checkpoint read back for a resumed run.
struct ResumePoint {
  let header: CheckpointHeader
  let state: [UInt8]
  /// The unfinished run's folder (`<output>.partial`).
  let directory: URL
}

/// The version written into checkpoints (a checkpoint of another version is refused).
public enum FedSimVersion {
  public static let string = "0.1.0-dev"
}

extension Runner {
  /// A checksum of a scenario as run: its text and its overrides.
  static func scenarioDigest(text: String, overrides: [String]) -> String {
    String(archiveChecksum(Array(([text] + overrides).joined(separator: "\u{0}").utf8)), radix: 16)
  }

  func checkpointHeader(recorder: RoundRecorder, writer: MetricsWriter, reason: String) -> CheckpointHeader {
    CheckpointHeader(
      format: CheckpointFile.format, fedsimVersion: FedSimVersion.string, scenarioName: scenario.name,
      scenarioDigest: Self.scenarioDigest(text: scenarioText, overrides: overrides), seed: scenario.seed,
      blasKernel: BLASKernelSelection.current.kernel, scenarioText: scenarioText, scenarioFile: scenarioFile,
      scenarioDirectory: scenarioDirectory?.path ?? "", overrides: overrides, roundsCompleted: recorder.roundsRecorded,
      metricsBytes: writer.bytesWritten, reason: reason, writtenAt: ISO8601DateFormatter().string(from: Date()))
  }

  /// The unfinished run in `directory` (`<output>.partial`, or `<output>` when only its
  /// `.partial` exists), ready to continue from its newest good checkpoint. Refused when the
  /// checkpoint is damaged beyond its previous copy, or was written by another FedSim version or
  /// with another BLAS kernel; when `scenarioText`/`overrides` are given they must be the ones
  /// the run was started with.
  public static func resuming(
    _ directory: URL, scenarioText: String? = nil, overrides: [String]? = nil, workers: Int, cacheDirectory: URL,
    warn: (String) -> Void = { _ in }
  ) throws(RunError) -> Runner {
    var folder = directory.standardizedFileURL
    if folder.lastPathComponent.hasSuffix("/") { folder = folder.deletingLastPathComponent() }
    if !folder.lastPathComponent.hasSuffix(".partial") {
      let partial = folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".partial")
      guard FileManager.default.fileExists(atPath: partial.path) else {
        let finished = FileManager.default.fileExists(atPath: folder.appendingPathComponent("summary.json").path)
        throw .checkpoint(
          path: folder.path,
          reason: finished
            ? "is a finished run: there is nothing to resume" : "is not an unfinished run (no \(partial.lastPathComponent) next to it)")
      }
      folder = partial
    }
    guard FileManager.default.fileExists(atPath: folder.path) else { throw .checkpoint(path: folder.path, reason: "does not exist") }
    try refuseIfStillRunning(folder)
    let (header, state, warnings) = try CheckpointFile.load(from: folder.appendingPathComponent("checkpoint"))
    for warning in warnings { warn(warning) }
    let path = folder.appendingPathComponent("checkpoint").path
    guard header.fedsimVersion == FedSimVersion.string else {
      throw .checkpoint(
        path: path, reason: "was written by FedSim \(header.fedsimVersion); this is \(FedSimVersion.string), whose state may differ")
    }
    let kernel = BLASKernelSelection.current.kernel
    guard header.blasKernel == kernel else {
      throw .checkpoint(
        path: path,
        reason:
          "was written with the BLAS kernel \(header.blasKernel), this process uses \(kernel): results would differ in their last bits (run with OPENBLAS_CORETYPE=\(header.blasKernel) to resume)"
      )
    }
    if let scenarioText {
      let given = scenarioDigest(text: scenarioText, overrides: overrides ?? header.overrides)
      guard given == header.scenarioDigest else {
        throw .checkpoint(
          path: path, reason: "was written for another scenario or other --set/--seed values than the ones given (\(header.scenarioName))")
      }
    }
    let scenario: Scenario
    do {
      scenario = try ScenarioDecoder.decode(
        header.scenarioText, file: header.scenarioFile.isEmpty ? "scenario.yaml" : header.scenarioFile, overrides: header.overrides,
        baseDirectory: header.scenarioDirectory.isEmpty ? nil : URL(fileURLWithPath: header.scenarioDirectory))
    } catch {
      throw .checkpoint(path: path, reason: "its scenario no longer decodes: \(error.description)")
    }
    guard scenario.seed == header.seed, scenario.name == header.scenarioName else {
      throw .checkpoint(path: path, reason: "its header does not match its scenario (seed \(header.seed), name \(header.scenarioName))")
    }
    let output = folder.deletingLastPathComponent().appendingPathComponent(String(folder.lastPathComponent.dropLast(".partial".count)))
    var runner = Runner(
      scenario: scenario, scenarioText: header.scenarioText, overrides: header.overrides, workers: workers, output: output,
      cacheDirectory: cacheDirectory)
    runner.scenarioFile = header.scenarioFile
    runner.scenarioDirectory = header.scenarioDirectory.isEmpty ? nil : URL(fileURLWithPath: header.scenarioDirectory)
    runner.resumePoint = ResumePoint(header: header, state: state, directory: folder)
    return runner
  }

  /// Two processes must never write one run folder.
  static func refuseIfStillRunning(_ folder: URL) throws(RunError) {
    guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("partial.json").path),
      let note = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      note["status"] as? String == "running", let pid = note["pid"] as? Int, pid != Int(ProcessInfo.processInfo.processIdentifier)
    else { return }
    if kill(pid_t(pid), 0) == 0 {
      throw .checkpoint(
        path: folder.path, reason: "is being written by process \(pid), which is still running: stop it first (or wait for it to finish)")
    }
  }
}
