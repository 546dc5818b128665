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
}
