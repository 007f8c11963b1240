package io.hubbub.conf;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The conf file's JSON Schema ({@code conf/hubbub.schema.json} in the jar): the one place the keys, their types,
 * ranges and defaults are written. It checks a conf with vertx-json-schema and turns the most specific error into
 * one line naming the key ({@code http.port: expected an integer from 0 to 65535, got 70000}), and fills in the
 * defaults of the keys a conf leaves out.
 *
 * <p>Beside the standard keywords the schema carries three of its own, for the messages only:
 * {@code x-expected} (what a value should be, where the type and range do not say it well), {@code x-oneOf}
 * (what a failed {@code oneOf} asks for) and {@code x-together} (the keys a {@code required} list ties together).
 */
public final class ConfSchema {

  public static final String RESOURCE = "/conf/hubbub.schema.json";
  private static final String BASE_URI = "https://hubbub.io/conf/";
  /** Keywords that only report that something beneath them failed: the error beneath says what. */
  private static final Set<String> WRAPPERS = Set.of("$ref", "properties", "items", "prefixItems", "if", "then", "else",
    "allOf", "patternProperties", "dependentSchemas", "propertyNames");

  private static final JsonObject SCHEMA = load();
  private static final Validator VALIDATOR = Validator.create(JsonSchema.of(SCHEMA),
    new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri(BASE_URI).setOutputFormat(OutputFormat.Basic));

  private ConfSchema() {
  }

  /** The schema itself (a copy). */
  public static JsonObject schema() {
    return SCHEMA.copy();
  }

  /**
   * Checks {@code conf} against the schema.
   *
   * @param variables each conf key an environment variable sets, and the variable, for the messages
   * @throws ConfException naming the most specific problem
   */
  public static void check(JsonObject conf, Map<String, String> variables) {
    OutputUnit result = VALIDATOR.validate(conf);
    if (Boolean.TRUE.equals(result.getValid())) {
      return;
    }
    List<OutputUnit> errors = result.getErrors() == null ? List.of() : result.getErrors();
    OutputUnit error = errors.stream()
      .filter(e -> !WRAPPERS.contains(keyword(e)) && !e.getKeywordLocation().contains("/oneOf/"))
      .max(Comparator.comparingInt(e -> segments(e.getInstanceLocation()).size())) // the deepest; the first of equals
      .orElseThrow(() -> new ConfException("conf: " + result.getError()));
    throw explain(conf, error, variables);
  }

  /** The default of a key ({@code storage.partitions}), or null if it has none. */
  public static Object defaultOf(String key) {
    JsonObject node = SCHEMA;
    for (String part : key.split("\\.", -1)) {
      node = node.getJsonObject("properties").getJsonObject(part);
    }
    return node.getValue("default");
  }

  /** A copy of {@code conf} with the schema's defaults where it says nothing; {@code conf} must be valid. */
  public static JsonObject withDefaults(JsonObject conf) {
    JsonObject copy = conf.copy();
    fill(SCHEMA, copy);
    return copy;
  }

  private static void fill(JsonObject schema, Object instance) {
    if (instance instanceof JsonObject object && schema.getValue("properties") instanceof JsonObject properties) {
      for (String name : properties.fieldNames()) {
        JsonObject property = properties.getJsonObject(name);
        if (!object.containsKey(name) && property.containsKey("default")) {
          object.put(name, copyOf(property.getValue("default")));
        }
        if (object.containsKey(name)) {
          fill(property, object.getValue(name));
        }
      }
    } else if (instance instanceof JsonArray array && schema.getValue("items") instanceof JsonObject items) {
      array.forEach(item -> fill(items, item));
    }
  }

  private static Object copyOf(Object value) {
    return value instanceof JsonObject o ? o.copy() : value instanceof JsonArray a ? a.copy() : value;
  }

  private static ConfException explain(JsonObject conf, OutputUnit error, Map<String, String> variables) {
    List<String> path = segments(error.getInstanceLocation());
    Object got = at(conf, path);
    JsonObject node = schemaNode(error);
    String keyword = keyword(error);
    switch (keyword) {
      case "additionalProperties" -> {
        JsonObject known = node.getJsonObject("properties", new JsonObject());
        return new ConfException(key(conf, path, variables) + ": unknown key (known here: "
          + String.join(", ", known.fieldNames().stream().sorted().toList()) + ")");
      }
      case "required" -> {
        JsonObject object = (JsonObject) got;
        String missing = node.getJsonArray("required").stream().map(String.class::cast)
          .filter(name -> !object.containsKey(name)).findFirst().orElse("?");
        String together = node.getString("x-together");
        return new ConfException(key(conf, append(path, missing), variables) + ": missing"
          + (together == null ? "" : " (" + together + " go together)"));
      }
      case "oneOf" -> {
        return new ConfException(key(conf, path, variables), node.getString("x-oneOf", "exactly one of the choices"), got);
      }
      default -> {
        // under propertyNames the instance is the property's name, not its value
        Object value = error.getKeywordLocation().contains("/propertyNames/") ? path.get(path.size() - 1) : got;
        return new ConfException(key(conf, path, variables), expected(node), value);
      }
    }
  }

  /** What a value of {@code node} should be, in words. */
  static String expected(JsonObject node) {
    if (node.containsKey("x-expected")) {
      return node.getString("x-expected");
    }
    if (node.containsKey("enum")) {
      return "one of " + node.getJsonArray("enum").stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }
    String type = node.getString("type", "");
    return switch (type) {
      case "integer" -> node.containsKey("maximum")
        ? "an integer from " + node.getValue("minimum") + " to " + node.getValue("maximum")
        : "an integer of " + node.getValue("minimum") + " or more";
      case "number" -> node.containsKey("minimum") ? "a number of " + node.getValue("minimum") + " or more" : "a number";
      case "boolean" -> "true or false";
      case "object" -> "an object";
      case "array" -> "an array";
      case "string" -> node.containsKey("pattern") ? "a name matching " + unanchored(node.getString("pattern")) : "a string";
      default -> "a valid value";
    };
  }

  private static String unanchored(String pattern) {
    return pattern.replaceAll("^\\^|\\$$", "");
  }

  /** The schema object whose keyword failed, found by the error's absolute keyword location. */
  private static JsonObject schemaNode(OutputUnit error) {
    String location = error.getAbsoluteKeywordLocation();
    String pointer = location.substring(location.indexOf('#') + 1);
    List<String> parts = segments(pointer);
    Object node = JsonPointer.from(pointer.substring(0, pointer.length() - parts.get(parts.size() - 1).length() - 1))
      .queryJson(SCHEMA);
    return node instanceof JsonObject o ? o : new JsonObject();
  }

  private static String keyword(OutputUnit error) {
    List<String> parts = segments(error.getKeywordLocation());
    return parts.isEmpty() ? "" : parts.get(parts.size() - 1);
  }

  /** {@code http.port}, {@code verticles[0].name}, with the variable that sets it, if one does. */
  private static String key(JsonObject conf, List<String> path, Map<String, String> variables) {
    StringBuilder key = new StringBuilder();
    Object node = conf;
    for (String part : path) {
      if (node instanceof JsonArray array) {
        key.append('[').append(part).append(']');
        node = array.getValue(Integer.parseInt(part));
      } else {
        key.append(key.length() == 0 ? "" : ".").append(part);
        node = node instanceof JsonObject object ? object.getValue(part) : null;
      }
    }
    String variable = variables.get(key.toString());
    return variable == null ? key.toString() : key + " (" + variable + ")";
  }

  private static Object at(JsonObject conf, List<String> path) {
    Object node = conf;
    for (String part : path) {
      node = node instanceof JsonArray array ? array.getValue(Integer.parseInt(part))
        : node instanceof JsonObject object ? object.getValue(part) : null;
    }
    return node;
  }

  private static List<String> append(List<String> path, String last) {
    return java.util.stream.Stream.concat(path.stream(), java.util.stream.Stream.of(last)).toList();
  }

  /** The unescaped segments of a JSON pointer ({@code #/a/b}, {@code /a/b} or empty). */
  private static List<String> segments(String pointer) {
    String p = pointer.startsWith("#") ? pointer.substring(1) : pointer;
    if (p.isEmpty() || p.equals("/")) {
      return List.of();
    }
    return java.util.Arrays.stream(p.substring(1).split("/", -1))
      .map(s -> s.replace("~1", "/").replace("~0", "~")).toList();
  }

  private static JsonObject load() {
    try (InputStream in = ConfSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
