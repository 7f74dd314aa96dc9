/*
 * A lossless codec for uint16 images in plain C, speaking the AstroCompress
 * codec contract (JSON lines on stdin/stdout, see challenge/CONTRACT.md):
 *
 *   codec encode|decode
 *   -> {"ready": true, "name": "...", "version": "..."}
 *   <- {"id": "...", "input": "/work/in/ID.npy", "output": "/work/out/ID.bin"}
 *   -> {"id": "...", "ok": true}   or   {"id": "...", "ok": false, "error": "..."}
 *   EOF on stdin: exit 0.
 *
 * Method: each pixel is predicted by its left neighbour (the first pixel of a
 * row by the pixel above), the residual modulo 2^16 is zigzag-mapped to a
 * small unsigned number and Rice-coded in blocks of 32 with the best k per
 * block (the idea behind FITS RICE_1, Pence et al. 2009). Long codes escape
 * to 16 raw bits, so cosmic rays cost little.
 *
 * Bitstream: "RCE1", ndim (1 byte), ndim x uint32 LE dims, then the Rice bits.
 * Shape and dtype are inside, as the contract requires.
 *
 * Build: `make` (static binary, no run-time dependencies).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODEC_NAME "c-rice"
#define CODEC_VERSION "0.1.0"
#define BLOCK 32
#define ESCAPE_Q 24
#define MAX_DIMS 4

/* ---------- small helpers ---------- */

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long n = ftell(f);
    if (n < 0) { fclose(f); return NULL; }
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf) { fclose(f); return NULL; }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); fclose(f); return NULL; }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int write_file(const char *path, const unsigned char *a, size_t alen,
                      const unsigned char *b, size_t blen) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(a, 1, alen, f) == alen && (blen == 0 || fwrite(b, 1, blen, f) == blen);
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* ---------- bit I/O ---------- */

typedef struct { unsigned char *buf; size_t cap, nbits; } BitWriter;

static int bw_put(BitWriter *w, uint32_t value, int nbits) {
    for (int i = nbits - 1; i >= 0; i--) {
        size_t byte = w->nbits >> 3;
        if (byte >= w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 1 << 16;
            unsigned char *nb = realloc(w->buf, cap);
            if (!nb) return -1;
            memset(nb + w->cap, 0, cap - w->cap);
            w->buf = nb;
            w->cap = cap;
        }
        if ((value >> i) & 1u) w->buf[byte] |= (unsigned char)(0x80u >> (w->nbits & 7));
        w->nbits++;
    }
    return 0;
}

typedef struct { const unsigned char *buf; size_t nbits, pos; } BitReader;

static int br_get(BitReader *r, int nbits, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < nbits; i++) {
        if (r->pos >= r->nbits) return -1;
        v = (v << 1) | ((r->buf[r->pos >> 3] >> (7 - (r->pos & 7))) & 1u);
        r->pos++;
    }
    *out = v;
    return 0;
}

/* ---------- prediction ---------- */

static uint16_t zigzag(uint16_t diff) {
    int32_t s = (int16_t)diff;
    return (uint16_t)((s << 1) ^ (s >> 31));
}

static uint16_t unzigzag(uint16_t z) {
    return (uint16_t)((z >> 1) ^ (uint16_t)(-(int32_t)(z & 1)));
}

/* residuals[i] for a C-ordered array whose last axis has `width` pixels */
static void predict(const uint16_t *px, uint16_t *res, size_t n, size_t width) {
    for (size_t i = 0; i < n; i++) {
        uint16_t pred;
        if (i % width != 0) pred = px[i - 1];
        else pred = i >= width ? px[i - width] : 0;
        res[i] = zigzag((uint16_t)(px[i] - pred));
    }
}

static void unpredict(const uint16_t *res, uint16_t *px, size_t n, size_t width) {
    for (size_t i = 0; i < n; i++) {
        uint16_t pred;
        if (i % width != 0) pred = px[i - 1];
        else pred = i >= width ? px[i - width] : 0;
        px[i] = (uint16_t)(unzigzag(res[i]) + pred);
    }
}

/* ---------- Rice coding ---------- */

static size_t rice_cost(const uint16_t *v, size_t n, int k) {
    size_t bits = 4;
    for (size_t i = 0; i < n; i++) {
        uint32_t q = (uint32_t)v[i] >> k;
        bits += q >= ESCAPE_Q ? ESCAPE_Q + 16 : q + 1 + (uint32_t)k;
    }
    return bits;
}

static int rice_encode(const uint16_t *v, size_t n, BitWriter *w) {
    for (size_t start = 0; start < n; start += BLOCK) {
        size_t len = n - start < BLOCK ? n - start : BLOCK;
        int best_k = 0;
        size_t best = (size_t)-1;
        for (int k = 0; k < 16; k++) {
            size_t c = rice_cost(v + start, len, k);
            if (c < best) { best = c; best_k = k; }
        }
        if (bw_put(w, (uint32_t)best_k, 4)) return -1;
        for (size_t i = start; i < start + len; i++) {
            uint32_t q = (uint32_t)v[i] >> best_k;
            if (q >= ESCAPE_Q) {
                if (bw_put(w, (1u << ESCAPE_Q) - 1, ESCAPE_Q) || bw_put(w, v[i], 16)) return -1;
            } else {
                if (q && bw_put(w, (1u << q) - 1, (int)q)) return -1;
                if (bw_put(w, 0, 1)) return -1;
                if (best_k && bw_put(w, v[i] & ((1u << best_k) - 1), best_k)) return -1;
            }
        }
    }
    return 0;
}

static int rice_decode(BitReader *r, uint16_t *v, size_t n) {
    for (size_t start = 0; start < n; start += BLOCK) {
        size_t len = n - start < BLOCK ? n - start : BLOCK;
        uint32_t k, bit, low;
        if (br_get(r, 4, &k)) return -1;
        for (size_t i = start; i < start + len; i++) {
            uint32_t q = 0;
            for (;;) {
                if (br_get(r, 1, &bit)) return -1;
                if (!bit) break;
                if (++q == ESCAPE_Q) break;
            }
            if (q == ESCAPE_Q) {
                if (br_get(r, 16, &low)) return -1;
                v[i] = (uint16_t)low;
            } else {
                low = 0;
                if (k && br_get(r, (int)k, &low)) return -1;
                v[i] = (uint16_t)((q << k) | low);
            }
        }
    }
    return 0;
}

/* ---------- .npy ---------- */

/* Parse a .npy of little-endian uint16 in C order. Returns the data offset or 0. */
static size_t npy_parse(const unsigned char *b, size_t len, size_t *shape, int *ndim, const char **err) {
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) { *err = "input is not a .npy file"; return 0; }
    size_t hlen, off;
    if (b[6] == 1) { hlen = b[8] | (b[9] << 8); off = 10; }
    else if (len >= 12) { hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24); off = 12; }
    else { *err = "truncated .npy header"; return 0; }
    if (off + hlen > len || hlen > 65535) { *err = "truncated .npy header"; return 0; }
    char header[65536];
    memcpy(header, b + off, hlen);
    header[hlen] = 0;
    if (!strstr(header, "'descr': '<u2'")) { *err = "expected dtype <u2 (uint16)"; return 0; }
    if (!strstr(header, "'fortran_order': False")) { *err = "expected C-ordered array"; return 0; }
    char *s = strstr(header, "'shape': (");
    if (!s) { *err = "no shape in .npy header"; return 0; }
    s += strlen("'shape': (");
    *ndim = 0;
    while (*s && *s != ')') {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        char *end;
        unsigned long long d = strtoull(s, &end, 10);
        if (end == s || *ndim >= MAX_DIMS) { *err = "unsupported shape"; return 0; }
        shape[(*ndim)++] = (size_t)d;
        s = end;
    }
    if (*ndim < 1) { *err = "scalar arrays are not supported"; return 0; }
    return off + hlen;
}

static size_t npy_header(unsigned char *out, const size_t *shape, int ndim) {
    char dict[256];
    int n = snprintf(dict, sizeof dict, "{'descr': '<u2', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, ndim == 1 ? "%zu," : (i ? ", %zu" : "%zu"), shape[i]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t total = 10 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    size_t hlen = padded - 10;
    out[8] = (unsigned char)(hlen & 0xff);
    out[9] = (unsigned char)(hlen >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', padded - total);
    out[padded - 1] = '\n';
    return padded;
}

/* ---------- encode / decode one file ---------- */

static const char *encode_file(const char *in, const char *out) {
    size_t len, shape[MAX_DIMS];
    int ndim;
    const char *err = NULL;
    unsigned char *b = read_file(in, &len);
    if (!b) return "cannot read input";
    size_t off = npy_parse(b, len, shape, &ndim, &err);
    if (!off) { free(b); return err; }
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if (off + 2 * n > len) { free(b); return "input shorter than its shape"; }
    uint16_t *px = malloc(2 * n + 2), *res = malloc(2 * n + 2);
    if (!px || !res) { free(b); free(px); free(res); return "out of memory"; }
    for (size_t i = 0; i < n; i++) px[i] = (uint16_t)(b[off + 2 * i] | (b[off + 2 * i + 1] << 8));
    free(b);
    size_t width = shape[ndim - 1] ? shape[ndim - 1] : 1;
    predict(px, res, n, width);
    free(px);
    unsigned char head[5 + 4 * MAX_DIMS];
    memcpy(head, "RCE1", 4);
    head[4] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++)
        for (int j = 0; j < 4; j++) head[5 + 4 * i + j] = (unsigned char)(shape[i] >> (8 * j));
    BitWriter w = {0};
    int rc = rice_encode(res, n, &w);
    free(res);
    if (rc) { free(w.buf); return "out of memory"; }
    rc = write_file(out, head, 5 + 4 * (size_t)ndim, w.buf, (w.nbits + 7) / 8);
    free(w.buf);
    return rc ? "cannot write output" : NULL;
}

static const char *decode_file(const char *in, const char *out) {
    size_t len, shape[MAX_DIMS];
    unsigned char *b = read_file(in, &len);
    if (!b) return "cannot read input";
    if (len < 5 || memcmp(b, "RCE1", 4) != 0) { free(b); return "not an RCE1 bitstream"; }
    int ndim = b[4];
    if (ndim < 1 || ndim > MAX_DIMS || len < 5 + 4 * (size_t)ndim) { free(b); return "bad bitstream header"; }
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        shape[i] = (size_t)b[5 + 4 * i] | ((size_t)b[6 + 4 * i] << 8) | ((size_t)b[7 + 4 * i] << 16) | ((size_t)b[8 + 4 * i] << 24);
        n *= shape[i];
    }
    size_t off = 5 + 4 * (size_t)ndim;
    uint16_t *res = malloc(2 * n + 2), *px = malloc(2 * n + 2);
    if (!res || !px) { free(b); free(res); free(px); return "out of memory"; }
    BitReader r = {b + off, (len - off) * 8, 0};
    if (rice_decode(&r, res, n)) { free(b); free(res); free(px); return "truncated bitstream"; }
    free(b);
    size_t width = shape[ndim - 1] ? shape[ndim - 1] : 1;
    unpredict(res, px, n, width);
    free(res);
    unsigned char head[256];
    size_t hlen = npy_header(head, shape, ndim);
    unsigned char *data = (unsigned char *)px; /* little-endian host assumed (x86-64, arm64) */
    int rc = write_file(out, head, hlen, data, 2 * n);
    free(px);
    return rc ? "cannot write output" : NULL;
}

/* ---------- the protocol ---------- */

/* Copy the JSON string value of "key" into out; 0 on success. Plain paths and ids only. */
static int json_string(const char *line, const char *key, char *out, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(line, pattern);
    if (!p) return -1;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') p++;
    if (*p++ != '"') return -1;
    size_t i = 0;
    while (*p && *p != '"') {
        if (*p == '\\' || i + 1 >= cap) return -1;
        out[i++] = *p++;
    }
    if (*p != '"') return -1;
    out[i] = 0;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "encode") && strcmp(argv[1], "decode"))) {
        fprintf(stderr, "usage: %s encode|decode\n", argv[0]);
        return 2;
    }
    int encoding = strcmp(argv[1], "encode") == 0;
    printf("{\"ready\": true, \"name\": \"%s\", \"version\": \"%s\"}\n", CODEC_NAME, CODEC_VERSION);
    fflush(stdout);
    static char line[1 << 16];
    char id[1024], in[4096], out[4096];
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == '\n' || line[0] == 0) continue;
        if (json_string(line, "id", id, sizeof id)) {
            printf("{\"id\": null, \"ok\": false, \"error\": \"request without a plain id\"}\n");
        } else if (json_string(line, "input", in, sizeof in) || json_string(line, "output", out, sizeof out)) {
            printf("{\"id\": \"%s\", \"ok\": false, \"error\": \"request without input/output paths\"}\n", id);
        } else {
            const char *err = encoding ? encode_file(in, out) : decode_file(in, out);
            if (err) {
                fprintf(stderr, "%s %s: %s\n", argv[1], id, err);
                printf("{\"id\": \"%s\", \"ok\": false, \"error\": \"%s\"}\n", id, err);
            } else {
                printf("{\"id\": \"%s\", \"ok\": true}\n", id);
            }
        }
        fflush(stdout);
    }
    return 0;
}
