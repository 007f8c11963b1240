package io.hubbub.support;

import io.vertx.core.json.JsonObject;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority for TLS tests, made with the JDK's own keytool: a CA, certificates it
 * signs (for 127.0.0.1 and localhost), and self-signed ones it does not; each as the PEM files Hubbub's
 * conf names ({@code cert}, {@code key}, {@code ca}).
 */
public final class TestCerts {

  private static final String PASSWORD = "test-only";
  private final Path dir;
  private final Path caStore;
  public final Path caPem;

  private TestCerts(Path dir) {
    this.dir = dir;
    this.caStore = dir.resolve("ca.p12");
    this.caPem = dir.resolve("ca.pem");
  }

  /** A new CA under {@code dir}. */
  public static TestCerts authority(Path dir) throws Exception {
    TestCerts certs = new TestCerts(dir);
    certs.keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=hubbub test CA",
      "-ext", "bc:c", "-validity", "2", "-keystore", certs.caStore.toString());
    certs.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", certs.caStore.toString(), "-file", certs.caPem.toString());
    return certs;
  }

  /** A certificate this CA signs: {@code {cert, key, ca}} paths. */
  public JsonObject signed(String name) throws Exception {
    Path store = keyPair(name);
    Path csr = dir.resolve(name + ".csr");
    Path cert = dir.resolve(name + ".pem");
    keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", csr.toString());
    keytool("-gencert", "-alias", "ca", "-keystore", caStore.toString(), "-infile", csr.toString(), "-outfile", cert.toString(),
      "-rfc", "-validity", "2", "-ext", "SAN=ip:127.0.0.1,dns:localhost");
    return files(name, store, cert);
  }

  /** A certificate signed by no one but itself, with this CA as what it trusts: an intruder's. */
  public JsonObject selfSigned(String name) throws Exception {
    Path store = keyPair(name);
    Path cert = dir.resolve(name + ".pem");
    keytool("-exportcert", "-rfc", "-alias", name, "-keystore", store.toString(), "-file", cert.toString());
    return files(name, store, cert);
  }

  /** The CA's certificate, for a client's trust store. */
  public KeyStore trustStore() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      trust.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    return trust;
  }

  private Path keyPair(String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + name,
      "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", store.toString());
    return store;
  }

  private JsonObject files(String name, Path store, Path cert) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD.toCharArray());
    }
    PrivateKey key = (PrivateKey) keys.getKey(name, PASSWORD.toCharArray());
    Path keyPem = dir.resolve(name + ".key");
    Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n"
      + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    return new JsonObject().put("cert", cert.toString()).put("key", keyPem.toString()).put("ca", caPem.toString());
  }

  private void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("-storepass", PASSWORD, "-keypass", PASSWORD, "-storetype", "PKCS12", "-noprompt"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException("keytool " + String.join(" ", args) + ": " + output);
    }
  }
}
