package api

import (
	"encoding/binary"
	"image"
	"image/draw"
)

// segment: 1 (upright) when there is none or it cannot be read.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			i++ // fill bytes and markers without a length
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return 1 // start of scan: no EXIF before the image data
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation finds the Orientation entry in IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for k := range count {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright for an EXIF orientation (2–8 mirror and/or
// rotate; 1 is already upright). A JPEG's YCbCr or gray image is turned
// plane by plane into an image of the same kind (one copy of its own size);
// anything else goes through RGBA.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	if m, ok := orientNative(img, o); ok {
		return m
	}
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := range w {
			dx, dy := orientXY(o, x, y, w, h)
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*x:4*x+4])
		}
	}
	return dst
}

// orientXY is where pixel (x, y) of a w×h image goes when turned upright
// for EXIF orientation o.
func orientXY(o, x, y, w, h int) (int, int) {
	switch o {
	case 2: // mirrored horizontally
		return w - 1 - x, y
	case 3: // rotated 180°
		return w - 1 - x, h - 1 - y
	case 4: // mirrored vertically
		return x, h - 1 - y
	case 5: // transposed
		return y, x
	case 6: // rotated 90° clockwise to be upright
		return h - 1 - y, x
	case 7: // transversed
		return h - 1 - y, w - 1 - x
	case 8: // rotated 90° counter-clockwise to be upright
		return y, w - 1 - x
	}
	return x, y
}

// orientPlane copies a w×h plane of one byte a sample into dst turned for
// orientation o.
func orientPlane(dst []byte, dstStride int, src []byte, srcStride, w, h, o int) {
	for y := range h {
		row := src[y*srcStride : y*srcStride+w]
		for x, v := range row {
			dx, dy := orientXY(o, x, y, w, h)
			dst[dy*dstStride+dx] = v
		}
	}
}

// orientNative turns a YCbCr (4:4:4, 4:2:2, 4:2:0, 4:4:0) or gray image
// upright without leaving its kind; a 90° turn swaps 4:2:2 and 4:4:0.
func orientNative(img image.Image, o int) (image.Image, bool) {
	switch m := img.(type) {
	case *image.Gray:
		b := m.Bounds()
		if b.Min != (image.Point{}) {
			return nil, false
		}
		w, h := b.Dx(), b.Dy()
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
		}
		dst := image.NewGray(image.Rect(0, 0, dw, dh))
		orientPlane(dst.Pix, dst.Stride, m.Pix, m.Stride, w, h, o)
		return dst, true
	case *image.YCbCr:
		b := m.Bounds()
		ratio := m.SubsampleRatio
		if b.Min != (image.Point{}) {
			return nil, false
		}
		var cw, ch int
		w, h := b.Dx(), b.Dy()
		switch ratio {
		case image.YCbCrSubsampleRatio444:
			cw, ch = w, h
		case image.YCbCrSubsampleRatio422:
			cw, ch = (w+1)/2, h
		case image.YCbCrSubsampleRatio420:
			cw, ch = (w+1)/2, (h+1)/2
		case image.YCbCrSubsampleRatio440:
			cw, ch = w, (h+1)/2
		default:
			return nil, false
		}
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
			switch ratio {
			case image.YCbCrSubsampleRatio422:
				ratio = image.YCbCrSubsampleRatio440
			case image.YCbCrSubsampleRatio440:
				ratio = image.YCbCrSubsampleRatio422
			}
		}
		dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
		orientPlane(dst.Y, dst.YStride, m.Y, m.YStride, w, h, o)
		orientPlane(dst.Cb, dst.CStride, m.Cb, m.CStride, cw, ch, o)
		orientPlane(dst.Cr, dst.CStride, m.Cr, m.CStride, cw, ch, o)
		return dst, true
	}
	return nil, false
}
