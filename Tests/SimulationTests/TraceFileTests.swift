import Foundation
import Testing

@testable import Simulation

@Suite struct TraceFileTests {
  func write(_ text: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString).csv")
    try! text.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  @Test func readsValuesAndIntervals() throws {
    let speeds = try TraceFiles.values(contentsOf: write("client,flops\n# phones\n1, 2e9\n0,1e9\n\n2,5e8\n"))
    #expect(speeds == [1e9, 2e9, 5e8])
    let intervals = try TraceFiles.intervals(contentsOf: write("client,start,end\n0,10,20\n0,0,5\n1,3,4\n"))
    #expect(intervals.count == 2 && intervals[0].map(\.start) == [0, 10] && intervals[1][0].end == 4)
    // Used by the device model: client 0 is offline at t = 7.
    let devices = DeviceModel(availability: .intervals(intervals))
    #expect(!devices.isAvailable(client: 0, round: 0, time: 7, seed: 0) && devices.isAvailable(client: 0, round: 0, time: 12, seed: 0))
  }

  @Test func badRowsNameFileLineAndColumn() {
    let cases: [(String, Int, Int, String)] = [
      ("client,flops\n0,1e9\n1,fast\n", 3, 3, "'fast' is not a number"),
      ("client,flops\n0,1e9\n0,2e9\n", 3, 1, "client 0 appears twice"),
      ("client,flops\n0,-1\n", 2, 3, "'-1' must be a positive number"),
      ("client,flops\n0,1e9\n2,1e9\n", 3, 1, "client 1 has no row (ids must cover 0...2)"),
      ("client,flops\n0,1e9,7\n", 2, 1, "expected 2 comma-separated fields, found 3"),
      ("client,flops\nx,1e9\n", 2, 1, "'x' is not a client id (a non-negative integer)"),
    ]
    for (text, line, column, message) in cases {
      let url = write(text)
      #expect(throws: TraceFileError(file: url.path, line: line, column: column, message: message)) {
        try TraceFiles.values(contentsOf: url)
      }
    }
    let url = write("client,start,end\n0,5,5\n")
    #expect(throws: TraceFileError(file: url.path, line: 2, column: 5, message: "end 5.0 must be greater than start 5.0")) {
      try TraceFiles.intervals(contentsOf: url)
    }
  }
}
