import Foundation
import Testing

@testable import Data

@Suite struct TextDirectoryReaderTests {
  @Test func oneDomainPerFileWithParagraphs() throws {
    let directory = try TemporaryDirectory()
    try directory.write("b.txt", "\u{FEFF}First paragraph\nsecond line.  \n\n \t \nSecond paragraph.\r\n\r\n\n")
    try directory.write("a.txt", "Único párrafo.")
    try directory.write("sub/c.md", "one\n\ntwo\n\nthree")
    try directory.write(".DS_Store", "junk")
    let corpus = try TextDirectoryReader().read(directory: directory.path)
    #expect(corpus.domainNames == ["a.txt", "b.txt", "sub/c.md"])
    #expect(
      corpus.documents.map(\.text) == [
        "Único párrafo.", "First paragraph\nsecond line.", "Second paragraph.", "one", "two", "three",
      ])
    #expect(corpus.domains == [0, 1, 1, 2, 2, 2])
    #expect(corpus.documents[0].tokens.count == "Único párrafo.".utf8.count)

    let onlyText = try TextDirectoryReader(fileExtensions: ["txt"]).read(directory: directory.path)
    #expect(onlyText.domainNames == ["a.txt", "b.txt"])
  }

  @Test func oneDomainPerFolderWithChunks() throws {
    let directory = try TemporaryDirectory()
    try directory.write("en/1.txt", "abcdefghij")
    try directory.write("en/deep/2.txt", "klm")
    try directory.write("fr/1.txt", "xyz")
    try directory.write("README", "not a domain")
    let reader = TextDirectoryReader(domains: .perFolder, segmentation: .chunks(bytes: 4))
    let corpus = try reader.read(directory: directory.path)
    #expect(corpus.domainNames == ["en", "fr"])
    #expect(corpus.documents.map(\.text) == ["abcd", "efgh", "ij", "klm", "xyz"])
    #expect(corpus.domains == [0, 0, 0, 0, 1])
  }

  @Test func errorsNameThePath() throws {
    let directory = try TemporaryDirectory()
    let blank = try directory.write("blank.txt", "  \n\n\t\n")
    #expect(
      dataError { () throws(DataError) in _ = try TextDirectoryReader().read(directory: directory.path) }?.description
        == "\(blank): no documents, expected some non-blank text (one domain per file)")
    let none = try TemporaryDirectory()
    #expect(dataError { () throws(DataError) in _ = try TextDirectoryReader().read(directory: none.path) }?.kind == .empty)
    #expect(
      dataError { () throws(DataError) in _ = try TextDirectoryReader().read(directory: none.path + "/nope") }?.kind
        == .unreadable(reason: "no such directory"))
    #expect(
      dataError { () throws(DataError) in
        _ = try TextDirectoryReader(segmentation: .chunks(bytes: 0)).read(directory: none.path)
      }?.kind == .invalidParameter("chunk size"))
  }
}
