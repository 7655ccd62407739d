/*
 * ctlclient.c - a tiny crypt32 client used as a real peer in the interop tests.
 *
 * Built with mingw-w64 (x86_64-w64-mingw32-gcc ctlclient.c -lcrypt32 -lshell32) and run under
 * Wine (tests/interop/wine.py) -- or on real Windows, where it behaves the same.
 *
 *   ctlclient ctl FILE
 *       FILE is a DER PKCS#7 SignedData carrying a Certificate Trust List (.stl).
 *       Decodes it with CertCreateCTLContext and prints one "key value" line per
 *       fact (format below), then verifies the signer's signature with
 *       CryptMsgControl(CMSG_CTRL_VERIFY_SIGNATURE).
 *
 *   ctlclient sst-save OUT CERT1.der [NAME1] [CERT2.der [NAME2] ...]
 *       Adds each certificate (an argument ending in .der, DER X.509) to a memory store
 *       with CertAddEncodedCertificateToStore, sets CERT_FRIENDLY_NAME_PROP_ID to the
 *       argument that follows it unless that is another .der (UTF-16 with its NUL, as
 *       Windows stores names), and writes the store with CertSaveStore(
 *       CERT_STORE_SAVE_AS_STORE, CERT_STORE_SAVE_TO_FILENAME_W). Prints "saved N".
 *
 *   ctlclient sst-load FILE
 *       Opens FILE with CertOpenStore(CERT_STORE_PROV_FILENAME_W) and prints, per
 *       certificate in store order:
 *         cert SHA1HEX            CERT_SHA1_HASH_PROP_ID (computed by crypt32)
 *         name HEX|-              CERT_FRIENDLY_NAME_PROP_ID raw bytes (UTF-16LE + NUL)
 *         prop ID HEX|-           every property the store loaded for it, enumerated
 *                                 BEFORE the SHA-1 above was asked for
 *       then "certs N", "crls N", "ctls N".
 *
 *   ctlclient crt-dir DIR
 *       Every DIR\*.crt, in the order FindFirstFile gives, decoded with
 *       CertCreateCertificateContext(X509_ASN_ENCODING) as Windows' auto-update loads the
 *       roots it fetches from a mirror, one line each:
 *         crt NAME SHA1HEX        CERT_SHA1_HASH_PROP_ID of the context
 *         crt NAME fail 0xERR     GetLastError() when it is no DER certificate
 *       then "crts N". 0 when the folder could be listed (even if a file failed), else 1.
 *
 *   Arguments of the sst commands are read as UTF-16 (GetCommandLineW), so names and
 *   paths need not fit the ANSI code page.
 *
 * Output of "ctl", one fact per line, hex is lowercase, "-" means absent:
 *   version N                 CTL_INFO.dwVersion
 *   entries N                 CTL_INFO.cCTLEntry
 *   sequence HEX|-            SequenceNumber, printed MOST significant byte first (see below)
 *   listid HEX|-              ListIdentifier, raw OCTET STRING content (no NUL stripping)
 *   usage OID                 one line per SubjectUsage identifier, in order
 *   algorithm OID             SubjectAlgorithm.pszObjId
 *   algparams HEX|-           SubjectAlgorithm.Parameters (DER, e.g. 0500)
 *   thisupdate U64            ThisUpdate FILETIME as an unsigned decimal (100 ns since 1601)
 *   nextupdate U64            NextUpdate FILETIME (0 = absent)
 *   extensions N              then per extension: "extension OID 0|1 HEX"
 *   subject HEX               one per CTL entry, in order, followed by that entry's
 *   attrs N                     attribute count and, per attribute,
 *   attr OID                    its OID and, per value,
 *   value HEX                   "value HEX" ("value" alone for an empty value)
 *   innertype OID             CMSG_INNER_CONTENT_TYPE_PARAM
 *   certs N                   certificates in the message
 *   signers N                 CMSG_SIGNER_COUNT_PARAM
 *   messagedigest HEX|-       the messageDigest signed attribute of signer 0
 *   computeddigest HEX|-      CMSG_COMPUTED_HASH_PARAM: crypt32's own hash of the content
 *   signercert HEX|-          SHA-1 thumbprint of the signer certificate found in the message
 *   verify ok | verify fail 0xERR
 *
 * Exit status: 0 when everything ran (even if the signature did not verify);
 * 1 with "ctl decode failed 0x..." (or a read error) on stderr when decoding failed.
 * If only CertCreateCTLContext failed, the CTL_INFO lines are missing but the message
 * lines (innertype ... verify) are still printed before exiting 1: Wine 8's CTL decoder
 * rejects TrustedSubjects without subjectAttributes (0x80093103, CRYPT_E_ASN1_CORRUPT)
 * although the ASN.1 makes them OPTIONAL, and the signature is still worth checking.
 * 2 for bad usage.
 * sst-save / sst-load: 0 on success; 1 with "sst ... failed 0x..." (or a read error) on
 * stderr; 2 for bad usage. Link with -lcrypt32 -lshell32 (CommandLineToArgvW).
 */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <shellapi.h>

#define ENCODING (X509_ASN_ENCODING | PKCS_7_ASN_ENCODING)

static void print_hex(const BYTE *p, DWORD n)
{
    DWORD i;
    for (i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void print_blob_line(const char *key, const BYTE *p, DWORD n)
{
    printf("%s ", key);
    if (n)
        print_hex(p, n);
    else
        printf("-");
    printf("\n");
}

static unsigned long long ft_u64(const FILETIME *ft)
{
    return ((unsigned long long)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
}

/* Reads all of an open file and closes it; returns malloc'd data or NULL. */
static BYTE *read_stream(FILE *f, DWORD *len)
{
    BYTE *buf;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc(n ? n : 1);
    if (buf && fread(buf, 1, n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (DWORD)n;
    return buf;
}

static BYTE *read_file(const char *path, DWORD *len)
{
    return read_stream(fopen(path, "rb"), len);
}

/* CryptMsgGetParam with the usual two-call size dance; returns malloc'd data or NULL. */
static void *msg_param(HCRYPTMSG msg, DWORD type, DWORD index, DWORD *len)
{
    DWORD n = 0;
    void *p;

    if (!CryptMsgGetParam(msg, type, index, NULL, &n))
        return NULL;
    p = malloc(n ? n : 1);
    if (p && !CryptMsgGetParam(msg, type, index, p, &n)) {
        free(p);
        return NULL;
    }
    if (len)
        *len = n;
    return p;
}

static void print_ctl_info(const CTL_INFO *info)
{
    DWORD i, j, k;

    printf("version %lu\n", (unsigned long)info->dwVersion);
    printf("entries %lu\n", (unsigned long)info->cCTLEntry);

    /*
     * SequenceNumber is a CRYPT_INTEGER_BLOB: crypt32 decodes a "huge integer" to
     * LITTLE-endian (least significant byte first, pbData[0] is the low byte), the
     * reverse of the DER INTEGER. We print it reversed, i.e. big-endian, so the hex
     * equals the DER INTEGER's content octets (including any 00 sign byte).
     */
    printf("sequence ");
    if (info->SequenceNumber.cbData) {
        for (i = info->SequenceNumber.cbData; i > 0; i--)
            printf("%02x", info->SequenceNumber.pbData[i - 1]);
    } else
        printf("-");
    printf("\n");

    print_blob_line("listid", info->ListIdentifier.pbData, info->ListIdentifier.cbData);
    for (i = 0; i < info->SubjectUsage.cUsageIdentifier; i++)
        printf("usage %s\n", info->SubjectUsage.rgpszUsageIdentifier[i]);
    printf("algorithm %s\n", info->SubjectAlgorithm.pszObjId ? info->SubjectAlgorithm.pszObjId : "-");
    print_blob_line("algparams", info->SubjectAlgorithm.Parameters.pbData,
                    info->SubjectAlgorithm.Parameters.cbData);
    printf("thisupdate %llu\n", ft_u64(&info->ThisUpdate));
    printf("nextupdate %llu\n", ft_u64(&info->NextUpdate));

    printf("extensions %lu\n", (unsigned long)info->cExtension);
    for (i = 0; i < info->cExtension; i++) {
        const CERT_EXTENSION *e = &info->rgExtension[i];
        printf("extension %s %d ", e->pszObjId, e->fCritical ? 1 : 0);
        if (e->Value.cbData)
            print_hex(e->Value.pbData, e->Value.cbData);
        else
            printf("-");
        printf("\n");
    }

    for (i = 0; i < info->cCTLEntry; i++) {
        const CTL_ENTRY *ent = &info->rgCTLEntry[i];
        print_blob_line("subject", ent->SubjectIdentifier.pbData, ent->SubjectIdentifier.cbData);
        printf("attrs %lu\n", (unsigned long)ent->cAttribute);
        for (j = 0; j < ent->cAttribute; j++) {
            const CRYPT_ATTRIBUTE *a = &ent->rgAttribute[j];
            printf("attr %s\n", a->pszObjId);
            for (k = 0; k < a->cValue; k++) {
                printf("value");
                if (a->rgValue[k].cbData) {
                    printf(" ");
                    print_hex(a->rgValue[k].pbData, a->rgValue[k].cbData);
                }
                printf("\n");
            }
        }
    }
}

/* messageDigest (1.2.840.113549.1.9.4) of signer 0, value is DER OCTET STRING. */
static void print_message_digest(HCRYPTMSG msg)
{
    DWORD len, i;
    CRYPT_ATTRIBUTES *attrs = msg_param(msg, CMSG_SIGNER_AUTH_ATTR_PARAM, 0, &len);

    if (attrs) {
        for (i = 0; i < attrs->cAttr; i++) {
            const CRYPT_ATTRIBUTE *a = &attrs->rgAttr[i];
            if (!strcmp(a->pszObjId, szOID_PKCS_9_MESSAGE_DIGEST) && a->cValue == 1) {
                CRYPT_DATA_BLOB *os = NULL;
                DWORD n = 0;
                if (CryptDecodeObjectEx(X509_ASN_ENCODING, X509_OCTET_STRING,
                                        a->rgValue[0].pbData, a->rgValue[0].cbData,
                                        CRYPT_DECODE_ALLOC_FLAG, NULL, &os, &n)) {
                    print_blob_line("messagedigest", os->pbData, os->cbData);
                    LocalFree(os);
                    free(attrs);
                    return;
                }
            }
        }
        free(attrs);
    }
    printf("messagedigest -\n");
}

static int cmd_ctl(const char *path)
{
    DWORD len, n, err, decode_err = 0;
    int decode_failed = 0;
    BYTE *data = read_file(path, &len);
    PCCTL_CONTEXT ctl;
    HCRYPTMSG msg;
    HCERTSTORE store = NULL;
    PCCERT_CONTEXT signer = NULL;
    CERT_INFO *signer_info;
    void *p;

    if (!data) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }

    ctl = CertCreateCTLContext(ENCODING, data, len);
    if (!ctl) {
        /* Keep going: the signature check below is still worth reporting. */
        decode_err = GetLastError();
        decode_failed = 1;
        fprintf(stderr, "ctl decode failed 0x%08lx\n", (unsigned long)decode_err);
    } else {
        print_ctl_info(ctl->pCtlInfo);
        CertFreeCTLContext(ctl);
    }

    /* Signature check on the very same bytes, with the low-level message API. */
    msg = CryptMsgOpenToDecode(ENCODING, 0, 0, 0, NULL, NULL);
    if (!msg || !CryptMsgUpdate(msg, data, len, TRUE)) {
        fprintf(stderr, "ctl decode failed 0x%08lx (CryptMsgUpdate)\n",
                (unsigned long)GetLastError());
        if (msg)
            CryptMsgClose(msg);
        free(data);
        return 1;
    }

    p = msg_param(msg, CMSG_INNER_CONTENT_TYPE_PARAM, 0, NULL);
    printf("innertype %s\n", p ? (char *)p : "-");
    free(p);
    p = msg_param(msg, CMSG_CERT_COUNT_PARAM, 0, NULL);
    printf("certs %lu\n", p ? (unsigned long)*(DWORD *)p : 0UL);
    free(p);
    p = msg_param(msg, CMSG_SIGNER_COUNT_PARAM, 0, NULL);
    printf("signers %lu\n", p ? (unsigned long)*(DWORD *)p : 0UL);
    free(p);

    print_message_digest(msg);
    p = msg_param(msg, CMSG_COMPUTED_HASH_PARAM, 0, &n);
    if (p)
        print_blob_line("computeddigest", p, n);
    else
        printf("computeddigest -\n");
    free(p);

    signer_info = msg_param(msg, CMSG_SIGNER_CERT_INFO_PARAM, 0, NULL);
    if (signer_info)
        store = CertOpenStore(CERT_STORE_PROV_MSG, ENCODING, 0, 0, msg);
    if (store)
        signer = CertGetSubjectCertificateFromStore(store, ENCODING, signer_info);
    if (!signer) {
        err = GetLastError();
        printf("signercert -\n");
        printf("verify fail 0x%08lx\n", (unsigned long)err);
    } else {
        BYTE sha1[20];
        n = sizeof(sha1);
        if (CertGetCertificateContextProperty(signer, CERT_SHA1_HASH_PROP_ID, sha1, &n))
            print_blob_line("signercert", sha1, n);
        else
            printf("signercert -\n");
        if (CryptMsgControl(msg, 0, CMSG_CTRL_VERIFY_SIGNATURE, signer->pCertInfo))
            printf("verify ok\n");
        else
            printf("verify fail 0x%08lx\n", (unsigned long)GetLastError());
        CertFreeCertificateContext(signer);
    }

    if (store)
        CertCloseStore(store, 0);
    free(signer_info);
    CryptMsgClose(msg);
    free(data);
    return decode_failed ? 1 : 0;
}

/* ----------------------------------------------------------------- serialized stores */

static BYTE *read_file_w(const WCHAR *path, DWORD *len)
{
    return read_stream(_wfopen(path, L"rb"), len);
}

static int is_der_arg(const WCHAR *s)
{
    size_t n = wcslen(s);
    return n >= 4 && !_wcsicmp(s + n - 4, L".der");
}

static int cmd_sst_save(int argc, WCHAR **argv)
{
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
    PCCERT_CONTEXT last = NULL;
    DWORD len, saved = 0;
    BYTE *data;
    int i;

    if (!store) {
        fprintf(stderr, "sst memory store failed 0x%08lx\n", (unsigned long)GetLastError());
        return 1;
    }
    for (i = 3; i < argc; i++) {
        if (is_der_arg(argv[i])) {
            if (last)
                CertFreeCertificateContext(last);
            last = NULL;
            data = read_file_w(argv[i], &len);
            if (!data) {
                fprintf(stderr, "cannot read certificate argument %d\n", i);
                return 1;
            }
            /* ADD_ALWAYS: store exactly what we were given, duplicates included. */
            if (!CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, data, len,
                                                  CERT_STORE_ADD_ALWAYS, &last)) {
                fprintf(stderr, "sst add failed 0x%08lx (argument %d)\n",
                        (unsigned long)GetLastError(), i);
                free(data);
                return 1;
            }
            free(data);
            saved++;
        } else {
            CRYPT_DATA_BLOB blob;

            if (!last) {
                fprintf(stderr, "name argument %d does not follow a certificate\n", i);
                return 2;
            }
            /* Windows stores the name with its UTF-16 NUL terminator. */
            blob.cbData = (DWORD)((wcslen(argv[i]) + 1) * sizeof(WCHAR));
            blob.pbData = (BYTE *)argv[i];
            if (!CertSetCertificateContextProperty(last, CERT_FRIENDLY_NAME_PROP_ID, 0, &blob)) {
                fprintf(stderr, "sst set name failed 0x%08lx (argument %d)\n",
                        (unsigned long)GetLastError(), i);
                return 1;
            }
            CertFreeCertificateContext(last);
            last = NULL;
        }
    }
    if (last)
        CertFreeCertificateContext(last);
    if (!CertSaveStore(store, ENCODING, CERT_STORE_SAVE_AS_STORE, CERT_STORE_SAVE_TO_FILENAME_W,
                       (void *)argv[2], 0)) {
        fprintf(stderr, "sst save failed 0x%08lx\n", (unsigned long)GetLastError());
        CertCloseStore(store, 0);
        return 1;
    }
    CertCloseStore(store, 0);
    printf("saved %lu\n", (unsigned long)saved);
    return 0;
}

static void print_cert_prop(PCCERT_CONTEXT cert, DWORD id, const char *key)
{
    DWORD n = 0;
    BYTE *buf;

    if (!CertGetCertificateContextProperty(cert, id, NULL, &n)) {
        printf("%s -\n", key);
        return;
    }
    buf = malloc(n ? n : 1);
    if (buf && CertGetCertificateContextProperty(cert, id, buf, &n)) {
        printf("%s ", key);
        print_hex(buf, n);
        printf("\n");
    } else
        printf("%s -\n", key);
    free(buf);
}

static int cmd_sst_load(const WCHAR *path)
{
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_FILENAME_W, ENCODING, 0,
                                     CERT_STORE_OPEN_EXISTING_FLAG | CERT_STORE_READONLY_FLAG,
                                     path);
    PCCERT_CONTEXT cert = NULL;
    PCCRL_CONTEXT crl = NULL;
    PCCTL_CONTEXT ctl = NULL;
    DWORD certs = 0, crls = 0, ctls = 0, prop;

    if (!store) {
        fprintf(stderr, "sst open failed 0x%08lx\n", (unsigned long)GetLastError());
        return 1;
    }
    while ((cert = CertEnumCertificatesInStore(store, cert))) {
        char key[32];

        /* What the store loaded, before crypt32 computes and caches any hash. */
        for (prop = 0; (prop = CertEnumCertificateContextProperties(cert, prop)); ) {
            snprintf(key, sizeof(key), "prop %lu", (unsigned long)prop);
            print_cert_prop(cert, prop, key);
        }
        print_cert_prop(cert, CERT_SHA1_HASH_PROP_ID, "cert");
        print_cert_prop(cert, CERT_FRIENDLY_NAME_PROP_ID, "name");
        certs++;
    }
    while ((crl = CertEnumCRLsInStore(store, crl)))
        crls++;
    while ((ctl = CertEnumCTLsInStore(store, ctl)))
        ctls++;
    printf("certs %lu\ncrls %lu\nctls %lu\n", (unsigned long)certs, (unsigned long)crls,
           (unsigned long)ctls);
    CertCloseStore(store, 0);
    return 0;
}

static int cmd_crt_dir(const char *dir)
{
    char pattern[MAX_PATH], path[MAX_PATH];
    WIN32_FIND_DATAA found;
    HANDLE find;
    DWORD count = 0, len;

    snprintf(pattern, sizeof(pattern), "%s\\*.crt", dir);
    find = FindFirstFileA(pattern, &found);
    if (find == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "cannot list %s: 0x%08lx\n", dir, (unsigned long)GetLastError());
        return 1;
    }
    do {
        BYTE *data;
        PCCERT_CONTEXT cert;

        snprintf(path, sizeof(path), "%s\\%s", dir, found.cFileName);
        data = read_file(path, &len);
        if (!data) {
            printf("crt %s fail unreadable\n", found.cFileName);
            continue;
        }
        cert = CertCreateCertificateContext(X509_ASN_ENCODING, data, len);
        if (cert) {
            char key[MAX_PATH + 8];

            snprintf(key, sizeof(key), "crt %s", found.cFileName);
            print_cert_prop(cert, CERT_SHA1_HASH_PROP_ID, key);
            CertFreeCertificateContext(cert);
        } else
            printf("crt %s fail 0x%08lx\n", found.cFileName, (unsigned long)GetLastError());
        free(data);
        count++;
    } while (FindNextFileA(find, &found));
    FindClose(find);
    printf("crts %lu\n", (unsigned long)count);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: ctlclient ctl FILE\n"
                    "       ctlclient sst-save OUT CERT.der [NAME] [CERT.der [NAME] ...]\n"
                    "       ctlclient sst-load FILE\n"
                    "       ctlclient crt-dir DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    int rc, wargc = 0;
    WCHAR **wargv;

    /* Large outputs (500+ entries): buffer fully, flush once at exit. */
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "ctl") && argc == 3)
        rc = cmd_ctl(argv[2]);
    else if (!strcmp(argv[1], "crt-dir") && argc == 3)
        rc = cmd_crt_dir(argv[2]);
    else if (!strcmp(argv[1], "sst-save") || !strcmp(argv[1], "sst-load")) {
        /* The ANSI argv would lose names outside the code page: re-read as UTF-16. */
        wargv = CommandLineToArgvW(GetCommandLineW(), &wargc);
        if (!wargv || wargc != argc)
            return usage();
        if (!strcmp(argv[1], "sst-save") && argc >= 4)
            rc = cmd_sst_save(wargc, wargv);
        else if (!strcmp(argv[1], "sst-load") && argc == 3)
            rc = cmd_sst_load(wargv[2]);
        else
            rc = usage();
        LocalFree(wargv);
    } else
        return usage();
    fflush(stdout);
    return rc;
}
