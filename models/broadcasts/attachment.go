package broadcasts

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"deputylink/models"
)

// The attachment of an article: a photo or a PDF under the department
// replies' rules (models.SniffReplyFile, models.CheckReplyFile), or a Word
// document, which the office writes most of its notices in. The console
// tells the kind by the content, never by the name alone, stores the file
// under AttachmentDir and serves it back as AttachmentType says: a photo
// inline, anything else as a download.

// AttachmentWord is a Word document (.docx, or the older .doc).
const AttachmentWord = "word"

// MaxDocumentBytes caps a PDF or Word attachment; a photo is capped by
// models.MaxReplyPhotoBytes.
const MaxDocumentBytes = models.MaxReplyPDFBytes

// The content types of the kinds of attachment.
const (
	typeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	typeDOC  = "application/msword"
)

// errAttachmentKind refuses a file that is none of the kinds.
var errAttachmentKind = models.Invalid("attachment", "附件只能是 PDF 文件、Word 文档（.docx 或 .doc）或 JPG、PNG 照片")

// oleMagic opens an OLE compound file: the old Word .doc, but also .xls
// and .ppt, told apart here by the name.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// SniffAttachment tells an uploaded attachment's kind, content type and
// the extension it is stored under from its content (name only tells a
// .doc from the other OLE files): a JPG or PNG photo, a PDF, a .docx (a ZIP
// package holding word/document.xml) or a .doc. Anything else is a
// validation error on the field "attachment".
func SniffAttachment(data []byte, name string) (kind, contentType, ext string, err error) {
	if k, ct, err := models.SniffReplyFile(data); err == nil {
		return k, ct, map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[ct], nil
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return "", "", "", errAttachmentKind
		}
		for _, f := range zr.File {
			if f.Name == "word/document.xml" {
				return AttachmentWord, typeDOCX, ".docx", nil
			}
		}
	case bytes.HasPrefix(data, oleMagic) && strings.EqualFold(path.Ext(name), ".doc"):
		return AttachmentWord, typeDOC, ".doc", nil
	}
	return "", "", "", errAttachmentKind
}

// CheckAttachment checks a sniffed attachment's size (and a photo's
// dimensions, width and height, as models.CheckReplyFile does); the
// refusal names the field "attachment".
func CheckAttachment(name, kind string, size int64, width, height int) error {
	if kind == AttachmentWord {
		if size > MaxDocumentBytes {
			return models.Invalid("attachment", fmt.Sprintf("“%s”超过%dMB，Word 文档不能超过%dMB",
				shownName(name), MaxDocumentBytes>>20, MaxDocumentBytes>>20))
		}
		return nil
	}
	err := models.CheckReplyFile(name, kind, size, width, height)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return models.Invalid("attachment", ve.Msg)
	}
	return err
}

func shownName(name string) string {
	if n := models.Shorten(models.CleanLine(name), 40, "…"); n != "" {
		return n
	}
	return "附件"
}

// AttachmentType is how a stored attachment is served, by the extension
// it was stored under (SniffAttachment): its kind and content type. An
// unknown extension is served as a download of bytes.
func AttachmentType(storedPath string) (kind, contentType string) {
	switch strings.ToLower(path.Ext(storedPath)) {
	case ".jpg":
		return models.ReplyFilePhoto, "image/jpeg"
	case ".png":
		return models.ReplyFilePhoto, "image/png"
	case ".pdf":
		return models.ReplyFilePDF, "application/pdf"
	case ".docx":
		return AttachmentWord, typeDOCX
	case ".doc":
		return AttachmentWord, typeDOC
	}
	return "", "application/octet-stream"
}
