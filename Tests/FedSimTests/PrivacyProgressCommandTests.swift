import Foundation
import Testing

/// `fedsim privacy` on a graph that takes a while says what it is doing on standard error (the
/// issue's `ring:1000 --worst-curious` ran past a minute in silence), and prints its result as
/// before on standard output.
@Suite struct PrivacyProgressCommandTests {
  @Test func longAccountingShowsItsStepsAndTheScan() throws {
    guard let fedsim = CommandLineTests.fedsim else {
      Issue.record("the fedsim executable is not next to the test binary")
      return
    }
    let process = Process()
    process.executableURL = fedsim
    // --progress-after 0 shows every step however short, so a small graph exercises the path.
    process.arguments = [
      "privacy", "--graph", "ring:300", "--worst-curious", "--sigma-cdp", "1", "--sigma-cor", "10", "--steps", "10", "--json",
      "--progress-after", "0",
    ]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(stdout.hasPrefix("{\"rho\": "), "\(stdout)")
    let lines = stderr.split(separator: "\n")
    #expect(lines.contains { $0.hasPrefix("accountant: screening inverse of the full covariance of order 300: 2.7e+07 flop, about ") })
    #expect(lines.contains { $0.hasPrefix("accountant: Cholesky inverse of the honest covariance done in ") })
    #expect(lines.contains { $0.hasPrefix("accountant: worst single curious user: 300/300 users factorised") }, "\(stderr.suffix(400))")
    // Without the option, a short computation stays quiet.
    let quiet = try CommandLineTests().run(["privacy", "--graph", "ring:16", "--sigma-cdp", "1", "--sigma-cor", "10", "--steps", "10"])
    #expect(quiet.status == 0 && quiet.output.contains("ε at δ"))
  }
}
