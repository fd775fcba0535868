// :kit — the app's only view of the Rust core. Its Kotlin sources are plain Kotlin (no android.*),
// compiled together with the generated uniffi bindings (build/generated/uniffi/kotlin) and
// packaged with the native library for each ABI (src/main/jniLibs); both are produced by
// scripts/android-build.sh, which the `rustAndroid` task below runs before every build.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val workspaceDir: File = rootDir.parentFile
val generatedBindings = "build/generated/uniffi/kotlin"

android {
    namespace = "com.fieldcrm.kit"
    compileSdk = 35
    ndkVersion = "27.2.12479018"

    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets.getByName("main") {
        java.srcDirs("src/main/kotlin", generatedBindings)
        jniLibs.srcDirs("src/main/jniLibs")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

// Cross-compiles fieldcrm-mobile for every ABI with cargo-ndk and regenerates the Kotlin
// bindings from that exact library. Cargo itself is incremental; Gradle skips the task when
// no Rust source or manifest changed.
val rustAndroid by tasks.registering(Exec::class) {
    group = "build"
    description = "Builds libfieldcrm_mobile.so (cargo-ndk) and generates the uniffi Kotlin bindings"
    val profile = providers.gradleProperty("fieldcrm.rustProfile").getOrElse("release")
    workingDir = workspaceDir
    commandLine("bash", "scripts/android-build.sh", "--profile", profile)
    inputs.files(
        fileTree(workspaceDir.resolve("core/src")),
        fileTree(workspaceDir.resolve("mobile-bindings/src")),
        workspaceDir.resolve("core/Cargo.toml"),
        workspaceDir.resolve("mobile-bindings/Cargo.toml"),
        workspaceDir.resolve("Cargo.lock"),
        workspaceDir.resolve("scripts/android-build.sh"),
        rootDir.resolve("uniffi-android.toml"),
    )
    inputs.property("profile", profile)
    outputs.dir("src/main/jniLibs")
    outputs.dir(generatedBindings)
    doFirst {
        // cargo-ndk finds the NDK through ANDROID_NDK_HOME; use the one this module pins.
        environment("ANDROID_NDK_HOME", android.ndkDirectory.absolutePath)
    }
}

tasks.named("preBuild") { dependsOn(rustAndroid) }

dependencies {
    // The generated bindings call the library through JNA; the AAR carries libjnidispatch per ABI.
    implementation(libs.jna) { artifact { type = "aar" } }
    implementation(libs.androidx.annotation)
    api(libs.kotlinx.coroutines.core)
    testImplementation(libs.junit)
    testImplementation(libs.kotlinx.coroutines.test)
}
