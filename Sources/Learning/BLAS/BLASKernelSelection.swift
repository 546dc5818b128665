import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The BLAS kernel a process runs with, why, and how fast it is: recorded with every run, so a
/// user can tell why two machines' results differ in their last bits.
public struct BLASKernelReport: Sendable, Codable, Equatable {
  /// The kernel OpenBLAS runs (`openblas_get_corename()`).
  public var kernel: String
  public var source: KernelDecision.Source
  public var reason: String
  /// The processor's brand string and its kernel-relevant extensions.
  public var cpu: String
  public var features: String
  /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
  public var openblas: String
  public var selfTestPassed: Bool
  public var maxError: Double
  /// SGEMM throughput of the kernel in use, GFLOP/s, on `sgemmThreads` BLAS threads.
  public var sgemmGFLOPs: Double
  public var sgemmThreads: Int
  public var warnings: [String]
  /// The probes run to decide (the loaded kernel's first).
  public var probes: [KernelProbe]

  /// One line for logs: "Haswell kernel (reason); CPU …; SGEMM … GFLOP/s".
  public var line: String {
    String(
      format: "BLAS: OpenBLAS %@ kernel — %@; CPU %@ (%@); SGEMM %.0f GFLOP/s on %d thread%@", kernel, reason,
      cpu.isEmpty ? "unknown" : cpu, features, sgemmGFLOPs, sgemmThreads, sgemmThreads == 1 ? "" : "s")
  }
}

/// Chooses a verified OpenBLAS kernel for this process.
///
/// OpenBLAS picks its kernel from a table of CPU models when it loads; on a CPU it does not know it
/// falls back to a generic SSE kernel, 3–6× slower. `configure()` compares that choice with what
/// the CPU supports (CPUID) and, when a better kernel exists, tests it in a child process (with
/// `OPENBLAS_CORETYPE` set, the only way OpenBLAS switches) and re-executes the program with the
/// first kernel that passes its numerical self-test. `OPENBLAS_CORETYPE` set by the user is
/// respected when it passes; a kernel that fails the self-test is never used.
///
/// A package with its own `main` calls it first, before any BLAS call or output:
/// ```swift
/// BLASKernelSelection.configure()
/// ```
/// `FEDSIM_BLAS_SELECTION=off` keeps OpenBLAS's choice without probing.
public enum BLASKernelSelection {
  static let probeVariable = "FEDSIM_BLAS_PROBE"
  static let decisionVariable = "FEDSIM_BLAS_DECISION"
  static let switchVariable = "FEDSIM_BLAS_SELECTION"

  private static let state = ReportBox()

  /// JSON for reports and probes; a failed self-test's infinite error is written as "inf".
  public static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
  }

  static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }

  /// Decides (or takes the decision a re-executed parent recorded) and returns the report. When
  /// another kernel is chosen this function does not return: the program starts again with it.
  @discardableResult
  public static func configure() -> BLASKernelReport {
    let environment = ProcessInfo.processInfo.environment
    if environment[probeVariable] == "1" {
      // A probe child: test the kernel OPENBLAS_CORETYPE loaded and report it on stdout.
      let probe = KernelSelfTest.probeLoaded(requested: environment["OPENBLAS_CORETYPE"])
      if let data = try? encoder().encode(probe) { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
      exit(0)
    }
    if let recorded = environment[decisionVariable], let data = recorded.data(using: .utf8),
      var decision = try? decoder().decode(KernelDecision.self, from: data)
    {
      // After a re-exec: the decision is already made; check it took effect.
      if decision.kernel.lowercased() != BLAS.coreName.lowercased() {
        decision.warnings.append("asked OpenBLAS for \(decision.kernel) but it runs \(BLAS.coreName)")
      }
      return state.set(report(decision, loaded: KernelSelfTest.probeLoaded(), threads: 1))
    }
    if environment[switchVariable] == "off" {
      return state.set(inProcessReport(reason: "kernel selection is off (FEDSIM_BLAS_SELECTION=off)", singleThread: true))
    }
    let loaded = BLAS.coreName
    let decision = KernelDecision.decide(
      loaded: loaded, features: .current, userForced: environment["OPENBLAS_CORETYPE"], probeLoaded: { KernelSelfTest.probeLoaded() },
      probe: probeInChild)
    if decision.kernel.lowercased() != loaded.lowercased() {
      let failure = reexecute(with: decision)
      // Only reached when exec failed: keep the loaded kernel.
      var kept = decision
      kept.warnings.append("could not restart with \(decision.kernel) (\(failure)); running \(loaded)")
      kept.kernel = loaded
      return state.set(report(kept, loaded: decision.probes[0], threads: 1))
    }
    return state.set(report(decision, loaded: decision.probes[0], threads: 1))
  }

  /// This process's report: `configure()`'s, or — when it was not called (tests, a library user
  /// who did not) — the loaded kernel's, tested in this process without switching.
  public static var current: BLASKernelReport {
    // Computed once, under the lock (concurrent first callers wait), without touching OpenBLAS's
    // process-wide thread count: other threads may be running BLAS.
    state.getOrSet { inProcessReport(reason: nil, singleThread: false) }
  }

  static func inProcessReport(reason: String?, singleThread: Bool) -> BLASKernelReport {
    let probe = KernelSelfTest.probeLoaded(singleThread: singleThread)
    let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
    let decision = KernelDecision(
      kernel: probe.reported, source: forced != nil ? .user : .openblas,
      reason: reason
        ?? (forced != nil
          ? "OPENBLAS_CORETYPE=\(forced!) is set in the environment"
          : "OpenBLAS's own choice (BLASKernelSelection.configure() was not called)")
          + (probe.passed ? "; self-test passed" : "; SELF-TEST FAILED"),
      probes: [probe],
      warnings: probe.passed ? [] : ["the \(probe.reported) kernel failed its self-test (max relative error \(probe.maxError))"])
    return report(decision, loaded: probe, threads: singleThread ? 1 : BLAS.threads)
  }

  static func report(_ decision: KernelDecision, loaded: KernelProbe, threads: Int) -> BLASKernelReport {
    let features = CPUFeatures.current
    let config = BLAS.config
    return BLASKernelReport(
      kernel: BLAS.coreName, source: decision.source, reason: decision.reason, cpu: features.brand, features: features.summary,
      openblas: config, selfTestPassed: loaded.passed, maxError: loaded.maxError, sgemmGFLOPs: loaded.gflops, sgemmThreads: threads,
      warnings: decision.warnings, probes: decision.probes)
  }

  /// Runs this program as a probe child with OPENBLAS_CORETYPE = `kernel`.
  static func probeInChild(_ kernel: String) -> KernelProbe {
    let failed = { (why: String) in
      KernelProbe(requested: kernel, reported: "", passed: false, maxError: .infinity, gflops: 0, failure: why)
    }
    guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
      return failed("cannot find this program (/proc/self/exe) to test the kernel in a child process")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = []
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_CORETYPE"] = kernel
    environment[probeVariable] = "1"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return failed("the probe could not start: \(error.localizedDescription)") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      return failed(
        "the probe crashed (\(process.terminationReason == .uncaughtSignal ? "signal" : "status") \(process.terminationStatus))")
    }
    let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last { $0.hasPrefix("{") }
    guard let line, let probe = try? decoder().decode(KernelProbe.self, from: Data(line.utf8)) else {
      return failed("the probe printed no result")
    }
    return probe
  }

  /// Starts this program again with the chosen kernel; returns why when exec fails.
  static func reexecute(with decision: KernelDecision) -> String {
    guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
      return "cannot find this program (/proc/self/exe)"
    }
    guard let recorded = try? encoder().encode(decision) else { return "cannot record the decision" }
    setenv("OPENBLAS_CORETYPE", decision.kernel, 1)
    setenv(decisionVariable, String(decoding: recorded, as: UTF8.self), 1)
    var arguments = CommandLine.arguments.map { strdup($0) }
    arguments.append(nil)
    execv(executable, &arguments)
    return String(cString: strerror(errno))
  }
}

/// The process's report, set once.
final class ReportBox: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var report: BLASKernelReport?

  func get() -> BLASKernelReport? {
    lock.lock()
    defer { lock.unlock() }
    return report
  }

  @discardableResult
  func set(_ value: BLASKernelReport) -> BLASKernelReport {
    lock.lock()
    defer { lock.unlock() }
    report = value
    return value
  }

  /// The report, computed by `make` under the lock if there is none yet.
  func getOrSet(_ make: () -> BLASKernelReport) -> BLASKernelReport {
    lock.lock()
    defer { lock.unlock() }
    if let report { return report }
    let made = make()
    report = made
    return made
  }
}
