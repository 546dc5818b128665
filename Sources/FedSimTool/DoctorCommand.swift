import ArgumentParser
import Foundation
import Learning

struct DoctorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Show the CPU, the BLAS kernel in use, why it was chosen, and its measured speed.",
    discussion: """
      At start-up FedSim compares the kernel OpenBLAS chose with what the CPU supports (CPUID) and, when a \
      better one exists, tests it in a child process and restarts with the first kernel that passes a numerical \
      self-test (SGEMM on odd shapes, transposes and padded strides against a Float64 reference). \
      OPENBLAS_CORETYPE set by the user is kept when it passes; FEDSIM_BLAS_SELECTION=off disables the selection.
      """)

  @Flag(help: "Print the report as JSON.") var json = false

  func run() throws {
    let report = BLASKernelSelection.current
    if json {
      let encoder = BLASKernelSelection.encoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
      return
    }
    let features = CPUFeatures.current
    print(
      "CPU:        \(report.cpu.isEmpty ? "unknown" : report.cpu) (\(features.vendor), family \(features.family), model \(features.model))")
    print("extensions: \(report.features)")
    print("OpenBLAS:   \(report.openblas)")
    print("kernel:     \(report.kernel) (\(KernelLevel(kernel: report.kernel))) — chosen by \(report.source.rawValue)")
    print("why:        \(report.reason)")
    print(
      String(
        format: "self-test:  %@ (max relative error %.2e, tolerance %.2e)", report.selfTestPassed ? "passed" : "FAILED", report.maxError,
        KernelSelfTest.tolerance))
    print(String(format: "SGEMM:      %.1f GFLOP/s on %d BLAS thread(s) (512³)", report.sgemmGFLOPs, report.sgemmThreads))
    print("threads:    \(ProcessInfo.processInfo.activeProcessorCount) cores; runs use one BLAS thread per worker")
    for probe in report.probes.dropFirst() {
      let outcome = probe.usable ? "passed" : "not used: \(probe.failure ?? "max relative error \(probe.maxError), ran \(probe.reported)")"
      print(String(format: "probed:     %@ — %@, %.1f GFLOP/s", probe.requested, outcome, probe.gflops))
    }
    for warning in report.warnings { print("warning:    \(warning)") }
  }
}
