import FedSim
import Foundation
import FuzzDriver

/// libFuzzer's entry point: FedSim's own `FuzzTarget.scenario` decides how the bytes reach the reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  FuzzTarget.scenario.run(Data(bytes: data, count: size))
  return 0
}

/// The program's `main` (SwiftPM links `main` to `<Module>_main` on Linux): libFuzzer's driver.
/// `-fedsim_max_len` alone prints the input length the harness wants (scripts/fuzz.sh's -max_len).
@_cdecl("FuzzScenario_main")
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  if argc == 2, let flag = argv?[1], String(cString: flag) == "-fedsim_max_len" {
    print(FuzzTarget.scenario.maximumLength)
    return 0
  }
  var argc = argc
  var argv = argv
  return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
