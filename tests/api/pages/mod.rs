mod setup_and_sign_in;
