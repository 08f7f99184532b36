package broadcasts_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"deputylink/models"
	"deputylink/models/broadcasts"
)

// zipWith is a ZIP package holding the named (empty) files.
func zipWith(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, n := range names {
		if _, err := z.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Ensure an attachment's kind comes from its content: photos, PDFs, .docx
// (a ZIP with word/document.xml, whatever its name) and .doc (an OLE file
// named .doc); an Excel package, an OLE file named .xls, text and a PDF's
// name on other bytes are refused on the field "attachment".
func TestSniffAttachment(t *testing.T) {
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 64)...)
	for name, c := range map[string]struct {
		data           []byte
		file           string
		kind, ext, typ string
	}{
		"jpeg":      {[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0}, "a.jpg", models.ReplyFilePhoto, ".jpg", "image/jpeg"},
		"png":       {[]byte("\x89PNG\r\n\x1a\n...."), "a.png", models.ReplyFilePhoto, ".png", "image/png"},
		"pdf":       {[]byte("%PDF-1.7\n"), "通知.pdf", models.ReplyFilePDF, ".pdf", "application/pdf"},
		"docx":      {zipWith(t, "[Content_Types].xml", "word/document.xml"), "安排.docx", broadcasts.AttachmentWord, ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		"docx name": {zipWith(t, "word/document.xml"), "安排", broadcasts.AttachmentWord, ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		"doc":       {ole, "旧通知.DOC", broadcasts.AttachmentWord, ".doc", "application/msword"},
		"xlsx":      {zipWith(t, "xl/workbook.xml"), "表.docx", "", "", ""},
		"xls":       {ole, "表.xls", "", "", ""},
		"text":      {[]byte("名单"), "名单.pdf", "", "", ""},
		"bad zip":   {[]byte("PK\x03\x04broken"), "坏.docx", "", "", ""},
	} {
		kind, typ, ext, err := broadcasts.SniffAttachment(c.data, c.file)
		if c.kind == "" {
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != "attachment" || !strings.Contains(ve.Msg, "Word") {
				t.Errorf("%s: %q %v, want refused", name, kind, err)
			}
			continue
		}
		if err != nil || kind != c.kind || ext != c.ext || typ != c.typ {
			t.Errorf("%s: %q %q %q %v, want %q %q %q", name, kind, typ, ext, err, c.kind, c.typ, c.ext)
		}
		if k, ct := broadcasts.AttachmentType("uploads/broadcasts/2026/11/x" + ext); k != c.kind || ct != c.typ {
			t.Errorf("%s: stored as %s serves %q %q", name, ext, k, ct)
		}
	}
	if err := broadcasts.CheckAttachment("大.docx", broadcasts.AttachmentWord, broadcasts.MaxDocumentBytes+1, 0, 0); err == nil ||
		!strings.Contains(err.Error(), "不能超过10MB") {
		t.Errorf("an oversized Word document: %v", err)
	}
	var ve *models.ValidationError
	if err := broadcasts.CheckAttachment("大.jpg", models.ReplyFilePhoto, models.MaxReplyPhotoBytes+1, 100, 100); !errors.As(err, &ve) || ve.Field != "attachment" {
		t.Errorf("an oversized photo: %v", err)
	}
}
