import Foundation
import Testing

@testable import Data

@Suite struct FortuneReaderTests {
  @Test func parsesEntriesSeparatorsAndWhitespace() {
    let text = "%\nFirst entry,\n\ttwo lines.   \n%\n%\n\n   \nSecond entry.\n\n% \t\r\nThird\r\nentry.\r\n%\n   \n%"
    #expect(FortuneReader.entries(text) == ["First entry,\n\ttwo lines.", "Second entry.", "Third\nentry."])
    #expect(FortuneReader.entries("only one, no separator\n") == ["only one, no separator"])
    #expect(FortuneReader.entries("%%\n100% sure\n%") == ["%%\n100% sure"])
    #expect(FortuneReader.entries("%\n%\n  \n").isEmpty)
    #expect(FortuneReader.entries("").isEmpty)
  }

  @Test func readsOneDomainPerFileSkippingIndicesAndLinks() throws {
    let directory = try TemporaryDirectory()
    try directory.write("science", "E = mc^2\n%\nEntropy increases.\n%\n")
    try directory.write("science.dat", bytes: [0, 0, 0, 2, 0, 0, 0, 1, 0xFF])
    try FileManager.default.createSymbolicLink(atPath: directory.path + "/science.u8", withDestinationPath: "science")
    try directory.write("de/computer.u8", "Computer sagen nein.\n%\nDas Netz vergisst nichts.\n%\nBits & Bytes\n")
    try directory.write(".hidden", "%\nnot read\n%\n")
    let corpus = try FortuneReader().read(paths: [directory.path])
    #expect(corpus.domainNames == ["de/computer", "science"])
    #expect(corpus.documentCounts == [3, 2])
    #expect(corpus.documents[3].text == "E = mc^2" && corpus.documents[3].domain == 1)
    #expect(corpus.documents[0].text == "Computer sagen nein.")

    let single = try FortuneReader().read(paths: [directory.path + "/science"])
    #expect(single.domainNames == ["science"] && single.documentCount == 2)
  }

  /// One language per folder: the folder's own files make one domain, its subfolders (other
  /// languages under /usr/share/games/fortunes) are not read.
  @Test func readsOneDomainPerPathWithoutSubfolders() throws {
    let directory = try TemporaryDirectory()
    try directory.write("science", "E = mc^2\n%\nEntropy increases.\n%\n")
    try directory.write("people", "Someone said something.\n")
    try directory.write("de/computer", "Computer sagen nein.\n%\nDas Netz vergisst nichts.\n")
    try directory.write("de/leben", "Leben.\n")
    let corpus = try FortuneReader(domainPerPath: true).read(paths: [directory.path, directory.path + "/de"])
    #expect(corpus.domainNames == [directory.path.split(separator: "/").last.map(String.init)!, "de"])
    #expect(corpus.documentCounts == [3, 3])
    // A corpus sampled per domain keeps every domain, at most that many documents each, reproducibly.
    let sampled = try corpus.sampled(documentsPerDomain: 2, seed: 4)
    let again = try corpus.sampled(documentsPerDomain: 2, seed: 4)
    #expect(sampled.documentCounts == [2, 2] && sampled == again)
  }

  @Test func emptyAndMissingInputsAreErrors() throws {
    let directory = try TemporaryDirectory()
    let empty = try directory.write("empty", "%\n\n%\n")
    #expect(
      dataError { () throws(DataError) in _ = try FortuneReader().read(paths: [empty]) }?.description
        == "\(empty): no documents, expected entries separated by '%' lines")
    let missing = directory.path + "/missing"
    #expect(
      dataError { () throws(DataError) in _ = try FortuneReader().read(paths: [missing]) }?.description
        == "\(missing): cannot read: no such file, expected a readable file")
    #expect(dataError { () throws(DataError) in _ = try FortuneReader().read(paths: []) }?.kind == .empty)
    let onlyIndex = try TemporaryDirectory()
    try onlyIndex.write("x.dat", bytes: [1, 2, 3])
    #expect(dataError { () throws(DataError) in _ = try FortuneReader().read(paths: [onlyIndex.path]) }?.kind == .empty)
  }
}
