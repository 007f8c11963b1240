package io.hubbub.storage;

import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A prefix deletion matches its text as text: no character of it is read as a pattern. */
class DocPatternTest {

  @Test
  void everyCharacterMatchesItselfOnly() {
    for (String text : new String[] {"probe-9|", "a.b*c", "^$[](){}?+\\|/", "café ☕ 𝄞", "x\ny"}) {
      Pattern pattern = Pattern.compile("^" + DocStore.literal(text));
      assertThat(pattern.matcher(text + "|temperature").find()).as(text).isTrue();
      assertThat(pattern.matcher("X" + text).find()).as(text).isFalse();
    }
    assertThat(Pattern.compile("^" + DocStore.literal("a.b")).matcher("axb").find()).as("a dot is a dot").isFalse();
    assertThat(DocStore.literal("probe-9|")).isEqualTo("probe\\-9\\|");
  }
}
