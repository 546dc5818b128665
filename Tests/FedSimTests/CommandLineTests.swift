import Foundation
import Testing

/// The `fedsim` program itself, run as a child process (it is built with the tests).
@Suite struct CommandLineTests {
  static var fedsim: URL? {
    guard let test = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
    let candidate = URL(fileURLWithPath: test).deletingLastPathComponent().appendingPathComponent("fedsim")
    return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
  }

  /// Runs fedsim with `arguments` and extra environment; `unset` variables are removed.
  func run(_ arguments: [String], environment extra: [String: String] = [:], unset: [String] = []) throws -> (status: Int32, output: String)
  {
    guard let fedsim = Self.fedsim else {
      Issue.record("the fedsim executable is not next to the test binary")
      return (-1, "")
    }
    let process = Process()
    process.executableURL = fedsim
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for key in unset { environment[key] = nil }
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  func report(_ output: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
  }

  @Test func doctorReportsTheKernelAndRespectsTheUsersChoice() throws {
    let (status, output) = try run(["doctor", "--json"], environment: ["OPENBLAS_CORETYPE": "Prescott"], unset: ["FEDSIM_BLAS_DECISION"])
    #expect(status == 0)
    let json = try report(output)
    #expect(json["kernel"] as? String == "Prescott" && json["source"] as? String == "user")
    #expect(json["selfTestPassed"] as? Bool == true && (json["sgemmGFLOPs"] as? Double ?? 0) > 0)
  }

  /// A kernel that fails its self-test (injected) is replaced: fedsim tests the CPU's best kernels
  /// in child processes and restarts itself with the first that passes.
  @Test func aFailingKernelIsReplacedByRestartingWithAVerifiedOne() throws {
    #if arch(x86_64)
      let (status, output) = try run(
        ["doctor", "--json"], environment: ["OPENBLAS_CORETYPE": "Prescott", "FEDSIM_BLAS_FAIL_SELF_TEST": "Prescott"],
        unset: ["FEDSIM_BLAS_DECISION"])
      #expect(status == 0)
      let json = try report(output)
      let kernel = json["kernel"] as? String ?? ""
      #expect(kernel != "Prescott" && json["source"] as? String == "fedsim", "\(output)")
      #expect((json["warnings"] as? [String])?.first?.contains("failed its self-test") == true)
      #expect((json["probes"] as? [Any])?.count ?? 0 >= 2)
    #endif
  }

  /// Ctrl-C stops a run after the event in progress: exit status 130 and a visible
  /// `<out>.partial` whose partial.json says it was interrupted.
  @Test func anInterruptedRunKeepsWhatItWroteVisibly() throws {
    guard let fedsim = Self.fedsim else {
      Issue.record("the fedsim executable is not next to the test binary")
      return
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-interrupt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let scenario = folder.appendingPathComponent("long.yaml")
    try NonFiniteTests.quadratic.replacingOccurrences(of: "rounds: 30", with: "rounds: 10000000")
      .write(to: scenario, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = fedsim
    process.arguments = ["run", scenario.path, "--out", folder.appendingPathComponent("long").path, "--quiet", "--set", "schedule.lr=0.01"]
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait until the run has written something, then interrupt it.
    let metrics = folder.appendingPathComponent("long.partial/metrics.jsonl")
    for _ in 0..<200 where ((try? FileManager.default.attributesOfItem(atPath: metrics.path)[.size] as? Int) ?? 0) == 0 {
      Thread.sleep(forTimeInterval: 0.05)
    }
    process.interrupt()
    process.waitUntilExit()
    #expect(process.terminationStatus == 130)
    let note = try String(contentsOf: folder.appendingPathComponent("long.partial/partial.json"), encoding: .utf8)
    #expect(note.contains("\"status\": \"interrupted\""))
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(!names.contains { $0.hasPrefix(".") }, "\(names)")
  }

  /// An interrupted sweep continues where it stopped: finished cells are read back, the missing
  /// ones run, and the table is the same; an existing sweep folder is refused without --resume.
  @Test func aSweepResumesFromItsFinishedRuns() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let scenario = folder.appendingPathComponent("quad.yaml")
    try NonFiniteTests.quadratic.write(to: scenario, atomically: true, encoding: .utf8)
    let out = folder.appendingPathComponent("sweep").path
    let arguments = ["sweep", scenario.path, "--grid", "schedule.lr=0.01,0.02", "--seeds", "2", "--out", out, "--quiet"]
    #expect(try run(arguments).status == 0)
    let table = try String(contentsOfFile: out + "/table.csv", encoding: .utf8)
    // As if interrupted during the last cell: its run never finished.
    try FileManager.default.removeItem(atPath: out + "/schedule.lr=0.02-seed1")
    try FileManager.default.removeItem(atPath: out + "/table.csv")
    #expect(try run(arguments).status != 0)  // refused: the folder holds runs
    #expect(try run(arguments + ["--resume"]).status == 0)
    let resumed = try String(contentsOfFile: out + "/table.csv", encoding: .utf8)
    func withoutWallTime(_ csv: String) -> [String] {
      // wall_time_s differs between runs; every other column must be identical.
      let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
      let wall = Set(lines[0].indices.filter { lines[0][$0].hasPrefix("wall_time") })
      return lines.map { line in line.indices.filter { !wall.contains($0) }.map { String(line[$0]) }.joined(separator: ",") }
    }
    #expect(withoutWallTime(resumed) == withoutWallTime(table), "\(resumed)\n\(table)")
  }

  /// Training commands refuse a non-finite learning rate before any work, and never replace an
  /// existing output folder without --force.
  @Test func trainingCommandsRefuseBadRatesAndExistingOutputs() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-train-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("existing"), withIntermediateDirectories: true)
    let corpus = "/usr/share/common-licenses/GPL-3"
    for rate in ["inf", "nan", "-1"] {
      let out = folder.appendingPathComponent("model-\(rate)").path
      #expect(try run(["pretrain", "--corpus", corpus, "--out", out, "--steps", "1", "--lr=\(rate)"]).status != 0, "--lr \(rate)")
      #expect(!FileManager.default.fileExists(atPath: out))
    }
    let existing = folder.appendingPathComponent("existing").path
    #expect(try run(["pretrain", "--corpus", corpus, "--out", existing, "--steps", "1"]).status != 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: existing).isEmpty)
  }
}
